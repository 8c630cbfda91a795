package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// TestFullRunSummaryAndOutputs runs the action in process (simulated time
// for the build) and reads the summary and output files GitHub would.
func TestFullRunSummaryAndOutputs(t *testing.T) {
	w := newWorld(t)
	aws := awsfake.Start(t)
	seed := filepath.Join(t.TempDir(), "seed.json")
	os.WriteFile(seed, []byte(seedJSON), 0o644)
	if err := aws.ApplySeed(seed); err != nil {
		t.Fatal(err)
	}

	e, ws := env(t, map[string]string{"command": "all", "github-token": githubfake.Token})
	testenv.Git(t, filepath.Dir(ws), "clone", "--quiet", w.origin, ws)
	e["GITHUB_API_URL"], e["GITHUB_REPOSITORY"] = w.gh.URL(), "acme/infra"
	out, err := runWith(t, e, aws.Clock)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, want := range []string{"::group::winbake plan", "::group::winbake bake (imagebuilder)", "::group::winbake bump", "::endgroup::"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	summary, _ := os.ReadFile(e["GITHUB_STEP_SUMMARY"])
	for _, want := range []string{"### Plan", "```mermaid", w.ref, "### Baked", "| win | us-east-1 | `ami-", "### Pull requests", "- win: [#1](https://github.com/acme/infra/pull/1) created, 1 change(s)"} {
		if !strings.Contains(string(summary), want) {
			t.Errorf("summary lacks %q:\n%s", want, summary)
		}
	}
	outputs, _ := os.ReadFile(e["GITHUB_OUTPUT"])
	for _, name := range []string{"ami-ids", "plan-file", "bake-file", "pull-request-number", "pull-request-url", "pull-request-operation"} {
		if !strings.Contains(string(outputs), name+"<<") {
			t.Errorf("output %s not set:\n%s", name, outputs)
		}
	}
}
