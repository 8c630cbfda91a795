// Package version is the version of the winbake Packer plugin.
package version

import "github.com/hashicorp/packer-plugin-sdk/version"

var (
	// Version is set at build time with -ldflags.
	Version = "0.1.0"
	// VersionPrerelease marks pre-releases ("dev"); empty for releases.
	VersionPrerelease = ""
	// PluginVersion is what Packer reads from "describe".
	PluginVersion = version.NewPluginVersion(Version, VersionPrerelease, "")
)
