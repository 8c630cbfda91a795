package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestPruneCommand runs command: prune as a scheduled clean-up would: a
// report first (apply false, the default), then with apply.
func TestPruneCommand(t *testing.T) {
	aws := awsfake.Start(t)
	var amis []string
	for _, days := range []int{10, 40, 70, 100} {
		ami, _ := aws.AddBakedAMI("us-east-1", "win", aws.Clock.Now().Add(-time.Duration(days)*24*time.Hour), 50)
		amis = append(amis, ami)
	}
	for _, apply := range []string{"", "true"} {
		e, dir := env(t, map[string]string{"command": "prune", "apply": apply})
		os.MkdirAll(filepath.Join(dir, ".github"), 0o755)
		os.WriteFile(filepath.Join(dir, ".github", "winbake.yaml"), []byte(goodConfig), 0o644)
		os.WriteFile(filepath.Join(dir, "nodes.tf"), []byte("image_id = \""+amis[2]+"\"\n"), 0o644)
		out, err := runWith(t, e, aws.Clock)
		if err != nil {
			t.Fatalf("apply=%q: %v\n%s", apply, err, out)
		}
		summary, _ := os.ReadFile(e["GITHUB_STEP_SUMMARY"])
		outputs, _ := os.ReadFile(e["GITHUB_OUTPUT"])
		decision, removed := "remove", ""
		if apply == "true" {
			decision, removed = "removed", amis[3]
		}
		for _, want := range []string{
			"### Prune", "| image | region | AMI | created | decision | why |",
			"| win | us-east-1 | `" + amis[2] + "` | 2026-09-03 | keep | written in the repository at nodes.tf:1 |",
			"| win | us-east-1 | `" + amis[3] + "` | 2026-08-04 | " + decision + " | - |",
			"50 GiB of snapshots, about **$2.50 a month**",
		} {
			if !strings.Contains(string(summary), want) {
				t.Errorf("apply=%q: summary lacks %q:\n%s", apply, want, summary)
			}
		}
		if !strings.Contains(string(outputs), "removed-ami-ids<<") || !strings.Contains(string(outputs), "\n"+removed+"\n") {
			t.Errorf("apply=%q: outputs:\n%s", apply, outputs)
		}
		for _, c := range aws.Calls() {
			if _, op, _ := strings.Cut(c.Action, ":"); apply == "" && (c.DryRun || !strings.HasPrefix(op, "Describe") && !strings.HasPrefix(op, "Get")) {
				t.Errorf("report only, the action called %+v", c)
			}
		}
		if got := aws.Deregistered("us-east-1", amis[3]); got != (apply == "true") {
			t.Errorf("apply=%q: deregistered = %v", apply, got)
		}
		if !strings.Contains(out, "::group::winbake prune") {
			t.Errorf("log lacks the prune group:\n%s", out)
		}
	}
}
