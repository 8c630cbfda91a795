package windows

import "testing"

// TestRuns follows containerd's checkWindowsHostAndContainerCompat
// (github.com/containerd/platforms, platform_windows_compat.go) and its
// test table: before 2022 the build must match; from 2022 on a host runs
// builds from 20348 up to its own, whatever the revision.
func TestRuns(t *testing.T) {
	for _, tc := range []struct {
		variant, osVersion string
		want               bool
	}{
		{"2019-core", "10.0.17763.6414", true},
		{"2019-core", "10.0.17763", true},
		{"2019-core", "10.0.20348.2762", false},
		{"2019-core", "10.0.14393.1", false},
		{"2022-core", "10.0.20348.2762", true},
		{"2022-core", "10.0.17763.6414", false},
		{"2022-core", "10.0.26100.1742", false},
		{"2025-full", "10.0.26100.1742", true},
		{"2025-full", "10.0.20348.2762", true},
		{"2025-full", "10.0.25398.1", true}, // 23H2: between the two LTSCs
		{"2025-full", "10.0.17763.6414", false},
		{"2025-full", "6.3.20348.1", false}, // another major.minor
		{"2025-full", "", false},
		{"2025-full", "10.0.x", false},
	} {
		v, _ := Lookup(tc.variant)
		if got := v.Runs(tc.osVersion); got != tc.want {
			t.Errorf("%s runs %q = %v, want %v", tc.variant, tc.osVersion, got, tc.want)
		}
	}
}

func TestNewer(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"10.0.26100.1", "10.0.20348.9999", true},
		{"10.0.20348.2762", "10.0.20348.2700", true},
		{"10.0.20348.2700", "10.0.20348.2762", false},
		// containerd compares the strings, not the numbers
		// (windowsMatchComparer.Less).
		{"10.0.20348.10000", "10.0.20348.9999", false},
		{"10.0.20348.999", "10.0.20348.1000", true},
	} {
		if got := Newer(tc.a, tc.b); got != tc.want {
			t.Errorf("Newer(%s, %s) = %v", tc.a, tc.b, got)
		}
	}
}

func TestNanoServerTags(t *testing.T) {
	// Microsoft tags Nano Server 2019 "1809"; there is no ltsc2019 tag.
	for variant, want := range map[string]string{"2019-core": "1809", "2022-full": "ltsc2022", "2025-core": "ltsc2025"} {
		if v, _ := Lookup(variant); v.NanoServerTag != want {
			t.Errorf("%s: nanoserver tag %q, want %q", variant, v.NanoServerTag, want)
		}
	}
}
