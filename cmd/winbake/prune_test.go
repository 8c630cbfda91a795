package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/prune"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestPruneReportsThenApplies runs the command as a user would: a report
// with --json first, then --apply.
func TestPruneReportsThenApplies(t *testing.T) {
	aws := awsfake.Start(t)
	host := pipeline.Host{Clock: aws.Clock, Getenv: os.Getenv}
	now := aws.Clock.Now()
	var amis []string
	for _, days := range []int{10, 40, 70, 100} {
		ami, _ := aws.AddBakedAMI("us-east-1", "win", now.Add(-time.Duration(days)*24*time.Hour), 60)
		amis = append(amis, ami)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "winbake.yaml"), []byte("images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n"), 0o644)
	os.MkdirAll(filepath.Join(dir, "infra"), 0o755)
	os.WriteFile(filepath.Join(dir, "infra", "nodes.tf"), []byte("# previous: "+amis[2]+"\n"), 0o644)

	out, _, err := runOn(t, host, dir, "prune", "--json", "report.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"report only",
		amis[2] + " 2026-09-03  keep: written in the repository at infra/nodes.tf:1",
		amis[3] + " 2026-08-04  remove",
		"us-east-1: 1 snapshot(s), 60 GiB would be freed",
		"about $3.00 a month at $0.05/GB-month",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var res prune.Result
	b, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if err := json.Unmarshal(b, &res); err != nil || len(res.AMIs) != 4 || res.AMIs[3].Decision != prune.Remove || res.GiB != 60 || res.Applied {
		t.Fatalf("report.json: %v\n%s", err, b)
	}

	// The JSON report names every AMI, but it is not a reference.
	out, _, err = runOn(t, host, dir, "prune", "--apply", "--json", "report.json")
	if err != nil || !strings.Contains(out, amis[3]+" ") || !strings.Contains(out, "removed") || !aws.Deregistered("us-east-1", amis[3]) {
		t.Fatalf("--apply: %v\n%s", err, out)
	}
}

func TestPruneBadFlags(t *testing.T) {
	awsfake.Start(t)
	for args, want := range map[string]string{
		"--min-age a-month": `--min-age: "a-month" is not an age`,
		"--keep 0":          "--keep 0: prune always keeps at least the newest AMI",
		"--image nope":      "--image nope: (default) lists no such image",
		"--region mars-1":   "--region mars-1: no image pruned here is configured for that region",
	} {
		_, _, err := runIn(t, t.TempDir(), append([]string{"prune"}, strings.Fields(args)...)...)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v, want %q", args, err, want)
		}
	}
}
