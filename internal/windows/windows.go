// Package windows knows the EKS-optimized Windows AMI variants: their Windows
// builds, container base image tags and the public SSM parameters that AWS
// publishes their AMI IDs under.
package windows

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Variant is one EKS-optimized Windows AMI flavour, such as "2022-core".
type Variant struct {
	Name    string // "2022-core"
	Release string // "2022"
	Edition string // "Core" or "Full"
	// Build is the Windows build a container's os.version must match:
	// process-isolated containers need the host's build.
	Build string // "10.0.20348"
	// LTSC is the tag suffix of Microsoft's base images for this build.
	LTSC string // "ltsc2022"
	// NanoServerTag is Nano Server's tag for this build: Microsoft tags
	// Nano Server 2019 "1809" (mcr.microsoft.com/windows/nanoserver has no
	// ltsc2019 tag), the later ones like Server Core.
	NanoServerTag string // "1809"
	// MinKubernetes is the oldest Kubernetes minor version AWS publishes
	// this variant for: 1.24 (the first with containerd) for 2019 and
	// 2022, 1.35 for 2025. eksctl (pkg/ami/ssm_resolver.go, minVersion
	// api.Version1_35) and karpenter-provider-aws
	// (pkg/providers/amifamily/ami.go, WS2025UnsupportedVersionError)
	// refuse 2025 below 1.35 too.
	MinKubernetes int
}

var variants = map[string]Variant{}

func init() {
	for _, v := range []struct {
		release, build, ltsc, nano string
		minK8s                     int
	}{
		{"2019", "10.0.17763", "ltsc2019", "1809", 24},
		{"2022", "10.0.20348", "ltsc2022", "ltsc2022", 24},
		{"2025", "10.0.26100", "ltsc2025", "ltsc2025", 35},
	} {
		for _, edition := range []string{"Core", "Full"} {
			name := v.release + "-" + strings.ToLower(edition)
			variants[name] = Variant{Name: name, Release: v.release, Edition: edition, Build: v.build, LTSC: v.ltsc, NanoServerTag: v.nano, MinKubernetes: v.minK8s}
		}
	}
}

// Lookup returns the variant called name.
func Lookup(name string) (Variant, bool) {
	v, ok := variants[name]
	return v, ok
}

// Names lists the variant names, sorted.
func Names() []string {
	names := make([]string, 0, len(variants))
	for n := range variants {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// SSMParameter is the public parameter holding the newest EKS-optimized AMI
// of this variant for a Kubernetes version ("1.31").
func (v Variant) SSMParameter(kubernetes string) string {
	return fmt.Sprintf("/aws/service/ami-windows-latest/Windows_Server-%s-English-%s-EKS_Optimized-%s/image_id", v.Release, v.Edition, kubernetes)
}

// AMINamePattern matches the names of this variant's EKS-optimized AMIs for
// a Kubernetes version, for EC2 DescribeImages name filters.
func (v Variant) AMINamePattern(kubernetes string) string {
	return fmt.Sprintf("Windows_Server-%s-English-%s-EKS_Optimized-%s-*", v.Release, v.Edition, kubernetes)
}

// BuildOf maps a container os.version ("10.0.20348.2700") to its Windows
// build prefix ("10.0.20348").
func BuildOf(osVersion string) string {
	parts := strings.Split(osVersion, ".")
	if len(parts) < 3 {
		return osVersion
	}
	return strings.Join(parts[:3], ".")
}

// ltsc2022 is the first build with a stable container ABI: hosts from it
// on run older container builds down to it.
const ltsc2022 = 20348

// Runs reports whether a node of this variant runs a process-isolated
// container whose os.version is osVersion ("10.0.20348.2762"). It is
// containerd's rule (github.com/containerd/platforms,
// checkWindowsHostAndContainerCompat, in containerd 1.7 and 2.x): a host
// older than Windows Server 2022 needs its own build exactly; a 2022 or
// newer host runs every build from 20348 up to its own. The revision does
// not matter.
func (v Variant) Runs(osVersion string) bool {
	host, ok := parseBuild(v.Build)
	ctr, ok2 := parseBuild(osVersion)
	if !ok || !ok2 || host.major != ctr.major || host.minor != ctr.minor {
		return false
	}
	if host.build < ltsc2022 {
		return ctr.build == host.build
	}
	return ctr.build >= ltsc2022 && ctr.build <= host.build
}

// OldestRunnable is the oldest build a node of this variant runs.
func (v Variant) OldestRunnable() string {
	if b, ok := parseBuild(v.Build); ok && b.build > ltsc2022 {
		return fmt.Sprintf("%d.%d.%d", b.major, b.minor, ltsc2022)
	}
	return v.Build
}

type build struct{ major, minor, build, revision int }

// parseBuild reads "10.0.20348" or "10.0.20348.2762".
func parseBuild(osVersion string) (build, bool) {
	parts := strings.Split(osVersion, ".")
	if len(parts) < 3 || len(parts) > 4 {
		return build{}, false
	}
	var n [4]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 {
			return build{}, false
		}
		n[i] = v
	}
	return build{n[0], n[1], n[2], n[3]}, true
}

// Newer reports whether containerd prefers os.version a to b among the
// variants a node runs: it orders them by the os.version string, greatest
// first (github.com/containerd/platforms, windowsMatchComparer.Less:
// p1.OSVersion > p2.OSVersion), so revision 999 of a build comes before
// revision 1000. containerd 2.1's CRI resolves an image name with that
// comparer (platforms.Default() in internal/cri/server/images/service.go),
// so a name pointing at an index finds the variant cached only if it is
// the one picked here.
func Newer(a, b string) bool {
	return a > b
}
