// Package version reports which winbake this is.
package version

import "runtime/debug"

// Version is set at build time with -ldflags "-X .../version.Version=v1.2.3".
var Version = ""

// String is the version: the one set at build time, else the module
// version or VCS revision Go recorded, else "dev".
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			return "dev-" + s.Value[:12]
		}
	}
	return "dev"
}
