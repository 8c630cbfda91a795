package report

import (
	"flag"
	"path/filepath"
	"testing"

	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name), []byte(got), *update)
}

// testPlan is shaped like the EKS guide's example: a fluentd image whose
// bulk is the Windows Server Core base the AMI already holds.
func testPlan() *plan.Plan {
	base := registry.Layer{Digest: "sha256:" + repeat("b"), Size: 1_600_000_000}
	fluentd := plan.CacheImage{
		Image: registry.Image{Ref: "123456789012.dkr.ecr.us-east-1.amazonaws.com/fluentd-windows:1.17", IndexDigest: "sha256:" + repeat("1"),
			Digest: "sha256:" + repeat("2"), OSVersion: "10.0.17763.6414",
			Layers: []registry.Layer{base, {Digest: "sha256:" + repeat("c"), Size: 533_000_000}}},
		Size: 2_133_000_000, BaseBytes: 1_600_000_000, PullBytes: 533_000_000,
	}
	p := &plan.Plan{Version: 1, Images: []plan.Image{{
		Name: "win2019", Kubernetes: "1.31", Windows: "2019-core", Build: "10.0.17763", Updates: true,
		SSMParameter: "/aws/service/ami-windows-latest/Windows_Server-2019-English-Core-EKS_Optimized-1.31/image_id",
		BaseAMIs:     []plan.BaseAMI{{Region: "us-east-1", AMI: "ami-0123456789abcdef0", Name: "Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.11.12", Created: "2026-11-12T09:00:00Z"}},
		Cache:        []plan.CacheImage{fluentd},
		Totals:       plan.Totals{Compressed: 2_133_000_000, Base: 1_600_000_000, Pull: 533_000_000},
		BaseImages:   []string{"mcr.microsoft.com/windows/servercore:ltsc2019"},
	}}}
	return p
}

func repeat(s string) string {
	out := ""
	for range 64 {
		out += s
	}
	return out
}

func TestPlanMarkdown(t *testing.T) {
	golden(t, "plan.md", PlanMarkdown(testPlan()))
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 533_000_000: "508.3 MiB", 6_960_000_000: "6.5 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %s, want %s", n, got, want)
		}
	}
}
