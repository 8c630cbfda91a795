package report

import (
	"testing"
	"time"

	"github.com/winbake/winbake/internal/prune"
)

// pruneResult is an applied run: kept AMIs with their reasons, one removed
// with Windows fast launch, a snapshot left because another AMI uses it,
// and one completed for an interrupted run.
func pruneResult() *prune.Result {
	day := func(s string) time.Time { t, _ := time.Parse("2006-01-02", s); return t }
	r := &prune.Result{Applied: true, Keep: 2, MinAge: "30d", PricePerGBMonth: prune.SnapshotPricePerGBMonth, PriceSource: prune.PriceSource,
		AMIs: []*prune.AMI{
			{Image: "win", Region: "us-east-1", ID: "ami-0aaaaaaaaaaaaaaa1", Created: day("2026-11-02"), Decision: prune.Keep,
				Reasons: []string{"one of the newest 2 of win in us-east-1", "younger than 30d (created 2026-11-02)"}},
			{Image: "win", Region: "us-east-1", ID: "ami-0aaaaaaaaaaaaaaa2", Created: day("2026-08-04"), Decision: prune.Keep,
				Reasons: []string{"written in the repository at terraform/nodes.tf:2", "used by launch template lt-0123 (win|nodes) version 3 ($Default)"}},
			{Image: "win", Region: "us-east-1", ID: "ami-0aaaaaaaaaaaaaaa3", Created: day("2026-05-04"), Decision: prune.Removed, FastLaunch: "enabled",
				Snapshots: []string{"snap-0aaaaaaaaaaaaaaa3", "snap-0bbbbbbbbbbbbbbb1"}},
		},
		Snapshots: []*prune.Snap{
			{Region: "us-east-1", ID: "snap-0aaaaaaaaaaaaaaa3", AMI: "ami-0aaaaaaaaaaaaaaa3", Image: "win", SizeGiB: 60, Decision: prune.Deleted},
			{Region: "us-east-1", ID: "snap-0bbbbbbbbbbbbbbb1", AMI: "ami-0aaaaaaaaaaaaaaa3", Image: "win", SizeGiB: 30, Decision: prune.Left, Reason: "also used by ami-0aaaaaaaaaaaaaaa2"},
			{Region: "eu-west-1", ID: "snap-0ccccccccccccccc1", AMI: "ami-0ccccccccccccccc1", Image: "win", SizeGiB: 60, Decision: prune.Deleted, Earlier: true},
		},
	}
	r.Total()
	return r
}

func TestPruneText(t *testing.T) {
	golden(t, "prune.txt", PruneText(pruneResult()))
}

func TestPruneMarkdown(t *testing.T) {
	golden(t, "prune.md", PruneMarkdown(pruneResult()))
	r := pruneResult()
	r.Applied, r.Warnings = false, []string{"cannot read the repository: open gone: no such file or directory; --apply would refuse to run"}
	r.AMIs[2].Decision = prune.Remove
	for _, s := range r.Snapshots {
		if s.Decision == prune.Deleted {
			s.Decision = prune.Delete
		}
	}
	r.Total()
	golden(t, "prune-report-only.md", PruneMarkdown(r))
}
