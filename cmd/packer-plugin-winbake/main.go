// Command packer-plugin-winbake is winbake's Packer plugin. It provides the
// winbake-image-cache provisioner, which pre-pulls container images into
// containerd on a Windows build instance.
package main

import (
	"fmt"
	"os"

	"github.com/hashicorp/packer-plugin-sdk/plugin"

	"github.com/winbake/winbake/packer/provisioner/imagecache"
	"github.com/winbake/winbake/packer/version"
)

func main() {
	set := plugin.NewSet()
	set.RegisterProvisioner("image-cache", new(imagecache.Provisioner))
	set.SetVersion(version.PluginVersion)
	if err := set.Run(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
