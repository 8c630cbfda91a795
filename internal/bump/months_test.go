package bump

import (
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/report"

	"github.com/winbake/winbake/internal/testing/githttp"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

const monthsTF = "resource \"aws_launch_template\" \"win\" {\n  image_id = \"" + stockEast + "\"\n}\n"

// TestMonthAfterMonth is the scheduled workflow over four months, each
// run from a fresh depth-1 checkout: the first PR is merged, the second
// squash-merged after a reviewer's fixup, the third closed unmerged. Each
// month has one PR, a rerun with nothing new writes nothing, and every
// push is made with the given token.
func TestMonthAfterMonth(t *testing.T) {
	w := newHubWorld(t, map[string]string{"terraform/nodes.tf": monthsTF}, "pullRequest:\n  labels: [windows]\n")
	openPRs := func() int {
		n := 0
		for _, p := range w.gh.PRs() {
			if p.State == "open" {
				n++
			}
		}
		return n
	}
	expect := func(month string, o Outcome, err error, op string, number int) {
		t.Helper()
		if err != nil || o.Operation != op || o.Number != number || openPRs() > 1 {
			t.Fatalf("%s: %+v %v (%d open PRs)\n%s", month, o, err, openPRs(), w.out.String())
		}
	}
	rerun := func(month string, b bakeImage, persist githttp.Persist) {
		t.Helper()
		writes, pushes := len(w.gh.Writes()), len(w.srv.Pushes())
		o, err := w.run(b, persist)
		if err != nil || o.Operation != report.None {
			t.Fatalf("%s rerun: %+v %v\n%s", month, o, err, w.out.String())
		}
		if got := w.gh.Writes()[writes:]; len(got) != 0 || len(w.srv.Pushes()) != pushes {
			t.Errorf("%s rerun wrote %v and pushed %d times", month, got, len(w.srv.Pushes())-pushes)
		}
	}
	// main moves on between months, as it does.
	work := func(msg string) {
		testenv.Git(t, w.dev, "checkout", "--quiet", "main")
		testenv.Git(t, w.dev, "pull", "--quiet", "--ff-only", "origin", "main")
		w.commit(map[string]string{"terraform/" + msg + ".tf": "# " + msg + "\n"}, msg)
		testenv.Git(t, w.dev, "push", "--quiet", "origin", "main")
	}

	// January: the first PR, then merged with a merge commit; GitHub
	// leaves the branch in place.
	jan := w.baked("ami-01111111111111111", "2026-01-16T08:12:00Z")
	o, err := w.run(jan, githttp.ConfigHeader)
	expect("January", o, err, report.Created, 1)
	rerun("January", jan, githttp.ConfigHeader)
	testenv.Git(t, w.dev, "fetch", "--quiet", "origin")
	testenv.Git(t, w.dev, "merge", "--quiet", "--no-ff", "-m", "Merge pull request #1", "origin/winbake/win")
	testenv.Git(t, w.dev, "push", "--quiet", "origin", "main")
	w.gh.SetPR(1, func(p *githubfake.PR) { p.State, p.Merged = "closed", true })
	work("january-work")
	work("february-work")

	// February: a new PR from the new main; a reviewer pushes a fixup,
	// which winbake leaves alone (and says so once); then squash-merged.
	feb := w.baked("ami-02222222222222222", "2026-02-17T07:40:00Z")
	o, err = w.run(feb, githttp.IncludedHeader)
	expect("February", o, err, report.Created, 2)
	if parent := testenv.Git(t, w.bare, "rev-parse", "winbake/win^"); parent != testenv.Git(t, w.bare, "rev-parse", "main") {
		t.Errorf("February's branch is not one commit on main")
	}
	rerun("February", feb, githttp.IncludedHeader)
	// main moves on under the open PR: the branch is rebased, not taken
	// for someone else's.
	work("february-hotfix")
	o, err = w.run(feb, githttp.IncludedHeader)
	expect("February after a hotfix on main", o, err, report.Updated, 2)
	if parent := testenv.Git(t, w.bare, "rev-parse", "winbake/win^"); parent != testenv.Git(t, w.bare, "rev-parse", "main") {
		t.Errorf("February's branch was not moved onto main")
	}
	testenv.Git(t, w.dev, "fetch", "--quiet", "origin")
	testenv.Git(t, w.dev, "checkout", "--quiet", "-B", "winbake/win", "origin/winbake/win")
	w.commit(map[string]string{"terraform/note.tf": "# rolled to staging first\n"}, "fixup")
	testenv.Git(t, w.dev, "push", "--quiet", "origin", "winbake/win")
	fixup := w.branchSHA()
	for range 2 {
		o, err = w.run(feb, githttp.IncludedHeader)
		expect("February after the fixup", o, err, report.LeftAlone, 2)
	}
	if w.branchSHA() != fixup || len(w.gh.PRs()[1].Comments) != 1 || !strings.Contains(w.gh.PRs()[1].Comments[0], "dev@example.com") {
		t.Errorf("the fixup was not left alone, or not said once: %q", w.gh.PRs()[1].Comments)
	}
	testenv.Git(t, w.dev, "checkout", "--quiet", "main")
	testenv.Git(t, w.dev, "merge", "--quiet", "--squash", "origin/winbake/win")
	testenv.Git(t, w.dev, "commit", "--quiet", "-m", "Bump (#2)")
	testenv.Git(t, w.dev, "push", "--quiet", "origin", "main")
	w.gh.SetPR(2, func(p *githubfake.PR) { p.State, p.Merged = "closed", true })
	work("march-work")

	// March: the merged PR freed the branch, fixup and all.
	mar := w.baked("ami-03333333333333333", "2026-03-17T07:55:00Z")
	o, err = w.run(mar, githttp.NoPersist)
	expect("March", o, err, report.Created, 3)
	if author := testenv.Git(t, w.bare, "log", "--format=%ae", "main..winbake/win"); author != "winbake@users.noreply.github.com" {
		t.Errorf("March's branch has commits by %q", author)
	}
	rerun("March", mar, githttp.NoPersist)
	// Closed unmerged: the same AMI is not proposed again.
	w.gh.SetPR(3, func(p *githubfake.PR) { p.State = "closed" })
	rerun("March, after the PR was closed", mar, githttp.NoPersist)

	// April: a newer AMI gets a new PR.
	apr := w.baked("ami-04444444444444444", "2026-04-16T08:01:00Z")
	o, err = w.run(apr, githttp.ConfigHeader)
	expect("April", o, err, report.Created, 4)
	nodes := testenv.Git(t, w.bare, "show", "winbake/win:terraform/nodes.tf")
	if !strings.Contains(nodes, "ami-04444444444444444") {
		t.Errorf("April's branch:\n%s", nodes)
	}
	for _, tok := range w.srv.Pushes() {
		if tok != appToken {
			t.Fatalf("a push used %q, not the given token", tok)
		}
	}
	if len(w.srv.Pushes()) != 5 {
		t.Errorf("%d pushes, want one a month and one after the hotfix", len(w.srv.Pushes()))
	}
}
