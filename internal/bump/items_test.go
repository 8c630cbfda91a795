package bump

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/report"

	"github.com/winbake/winbake/internal/testing/githttp"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// TestHalfMadePRIsCompleted: labels, reviewers and assignees that failed
// when the PR was opened are added by the next run, which says so.
func TestHalfMadePRIsCompleted(t *testing.T) {
	w := newHubWorld(t, map[string]string{"terraform/nodes.tf": monthsTF}, "pullRequest:\n  labels: [windows]\n  reviewers: [octocat]\n  assignees: [hubot]\n")
	w.gh.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/issues/1/labels", Status: 403, Message: "Resource not accessible by integration", Times: 1,
		Headers: map[string]string{"X-Accepted-GitHub-Permissions": "issues=write; pull_requests=write"}})
	b := w.baked("ami-01111111111111111", "2026-01-16T08:12:00Z")
	o, err := w.run(b, githttp.ConfigHeader)
	if err == nil || o.Operation != report.Created || o.Number != 1 || !strings.Contains(err.Error(), "the token lacks issues: write or pull-requests: write") {
		t.Fatalf("first run: %+v %v", o, err)
	}
	o, err = w.run(b, githttp.ConfigHeader)
	if err != nil || o.Operation != report.Updated {
		t.Fatalf("second run: %+v %v", o, err)
	}
	pr := w.gh.PRs()[0]
	if strings.Join(pr.Labels, ",") != "windows" || strings.Join(pr.Reviewers, ",") != "octocat" || strings.Join(pr.Assignees, ",") != "hubot" {
		t.Errorf("PR %+v", pr)
	}
	writes := len(w.gh.Writes())
	if o, err = w.run(b, githttp.ConfigHeader); err != nil || o.Operation != report.None || len(w.gh.Writes()) != writes {
		t.Errorf("third run: %+v %v, writes %v", o, err, w.gh.Writes()[writes:])
	}
}

// TestSignedCommitsKeepModesAndBytes: the API commit has the files' own
// modes and bytes, so its tree is git's, and a rerun commits nothing.
func TestSignedCommitsKeepModesAndBytes(t *testing.T) {
	w := newHubWorld(t, map[string]string{
		"terraform/nodes.tf": monthsTF,
		"scripts/roll.sh":    "#!/bin/sh\n# roll nodes to " + stockEast + "\n",
		"docs/notes.txt":     "caf\xe9: nodes run " + stockEast + "\n",
	}, "pullRequest:\n  signCommits: true\n")
	os.Chmod(filepath.Join(w.dev, "scripts/roll.sh"), 0o755)
	testenv.Git(t, w.dev, "add", ".")
	testenv.Git(t, w.dev, "commit", "--quiet", "-m", "executable")
	testenv.Git(t, w.dev, "push", "--quiet", "origin", "main")
	b := w.baked("ami-01111111111111111", "2026-01-16T08:12:00Z")
	o, err := w.run(b, githttp.ConfigHeader)
	if err != nil || o.Operation != report.Created || o.Changes != 3 {
		t.Fatalf("%+v %v\n%s", o, err, w.out.String())
	}
	if mode := testenv.Git(t, w.bare, "ls-tree", "winbake/win", "scripts/roll.sh"); !strings.HasPrefix(mode, "100755 ") {
		t.Errorf("roll.sh: %s", mode)
	}
	if notes := testenv.Git(t, w.bare, "cat-file", "blob", "winbake/win:docs/notes.txt"); notes != "caf\xe9: nodes run ami-01111111111111111" {
		t.Errorf("notes.txt: %q", notes)
	}
	if len(w.gh.SignedCommits) != 1 || w.branchSHA() != w.gh.SignedCommits[0] {
		t.Fatalf("branch %s, API commits %v", w.branchSHA(), w.gh.SignedCommits)
	}
	writes := len(w.gh.Writes())
	o, err = w.run(b, githttp.ConfigHeader)
	if err != nil || o.Operation != report.None || len(w.gh.SignedCommits) != 1 || len(w.gh.Writes()) != writes {
		t.Errorf("rerun: %+v %v, commits %v, writes %v", o, err, w.gh.SignedCommits, w.gh.Writes()[writes:])
	}
}

// TestPushRefusedIsOneLine: a token that may not push fails in one line
// that names the permission; nothing else is written.
func TestPushRefusedIsOneLine(t *testing.T) {
	w := newHubWorld(t, map[string]string{"terraform/nodes.tf": monthsTF}, "")
	b := w.baked("ami-01111111111111111", "2026-01-16T08:12:00Z")
	dir := t.TempDir()
	githttp.Checkout{Server: w.srv.URL(), Repository: "acme/infra", Token: checkoutToken, Persist: githttp.ConfigHeader}.Clone(t, dir)
	img, _ := w.cfg.Image("win")
	o, err := Image(t.Context(), Options{Dir: dir, Config: w.cfg, Mode: PullRequest, EC2: w.ec2, Out: &w.out,
		GitHub: w.hubWithPushToken(checkoutToken)}, img, b)
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "returned error: 403 (the token needs contents: write)") || o.Operation != report.Failed {
		t.Fatalf("%+v %q", o, err)
	}
	if len(w.gh.Writes()) != 0 {
		t.Errorf("GitHub writes after a refused push: %v", w.gh.Writes())
	}
}

// TestSignedCommitIsWinbakes: a commit GitHub signed for winbake is by the
// token's identity (a GitHub App's bot), not by authorEmail; it is still
// winbake's. A person's commit made on github.com (committed by GitHub
// too) or a person's amend of winbake's commit is not.
func TestSignedCommitIsWinbakes(t *testing.T) {
	const me, gh = "winbake@users.noreply.github.com", "noreply@github.com"
	for _, c := range []struct {
		commit git.Commit
		want   string
	}{
		{git.Commit{Author: me, Committer: me, Image: "win"}, ""},
		{git.Commit{Author: githubfake.BotEmail, Committer: gh, Image: "win"}, ""},
		{git.Commit{Author: "dev@example.com", Committer: gh}, "dev@example.com"},
		{git.Commit{Author: githubfake.BotEmail, Committer: "dev@example.com", Image: "win"}, githubfake.BotEmail + ",dev@example.com"},
		{git.Commit{Author: githubfake.BotEmail, Committer: gh, Image: "other"}, githubfake.BotEmail},
	} {
		if got := strings.Join(othersThan([]git.Commit{c.commit}, me, "win"), ","); got != c.want {
			t.Errorf("%+v: others %q, want %q", c.commit, got, c.want)
		}
	}
}

// TestDefaultBranchIsNotMain: without pullRequest.baseBranch the PR
// targets the repository's default branch (the remote's HEAD), whatever
// it is called.
func TestDefaultBranchIsNotMain(t *testing.T) {
	w := newHubWorld(t, map[string]string{"terraform/nodes.tf": monthsTF}, "")
	testenv.Git(t, w.bare, "branch", "-m", "main", "master")
	b := w.baked("ami-01111111111111111", "2026-01-16T08:12:00Z")
	dir := t.TempDir()
	githttp.Checkout{Server: w.srv.URL(), Repository: "acme/infra", Ref: "master", Token: checkoutToken, Persist: githttp.ConfigHeader}.Clone(t, dir)
	img, _ := w.cfg.Image("win")
	o, err := Image(t.Context(), Options{Dir: dir, Config: w.cfg, Mode: PullRequest, EC2: w.ec2, Out: &w.out, GitHub: w.hubWithPushToken(appToken)}, img, b)
	if err != nil || o.Operation != report.Created {
		t.Fatalf("%+v %v\n%s", o, err, w.out.String())
	}
	if prs := w.gh.PRs(); len(prs) != 1 || prs[0].Base != "master" {
		t.Errorf("PRs %+v, want one into master", prs)
	}
	if parent := testenv.Git(t, w.bare, "rev-parse", "winbake/win^"); parent != testenv.Git(t, w.bare, "rev-parse", "master") {
		t.Error("the branch does not start from master")
	}
}

// TestRunFromASubdirectory: bump.paths are relative to the repository's
// root wherever bump runs from, so a dry run, --no-pr and the pull
// request see the same changes.
func TestRunFromASubdirectory(t *testing.T) {
	w := newWorld(t)
	w.work = filepath.Join(w.work, "terraform")
	for _, mode := range []Mode{DryRun, NoPR, PullRequest} {
		o, err := w.run(mode, baked(newEast1, newWest1))
		if err != nil || o.Changes != 2 {
			t.Fatalf("mode %d: %+v %v\n%s", mode, o, err, w.out.String())
		}
		if mode == NoPR {
			if st := testenv.Git(t, w.work, "status", "--porcelain"); !strings.Contains(st, "eksctl/cluster.yaml") {
				t.Errorf("--no-pr status: %q", st)
			}
			testenv.Git(t, w.work, "checkout", "--", ":/")
		}
	}
}

// TestOpenPRAfterMainMovedFar: the branch is winbake's commit on a main
// 30 commits old, its PR open; a depth-1 checkout of today's main takes
// none of those 30 commits for someone else's: the branch moves onto
// main, with no comment.
func TestOpenPRAfterMainMovedFar(t *testing.T) {
	w := newHubWorld(t, map[string]string{"terraform/nodes.tf": monthsTF}, "")
	b := w.baked("ami-01111111111111111", "2026-01-16T08:12:00Z")
	if o, err := w.run(b, githttp.IncludedHeader); err != nil || o.Operation != report.Created {
		t.Fatalf("%+v %v\n%s", o, err, w.out.String())
	}
	for i := range 30 {
		w.commit(map[string]string{"terraform/work.tf": strings.Repeat("#\n", i+1)}, "work")
	}
	testenv.Git(t, w.dev, "push", "--quiet", "origin", "main")
	o, err := w.run(b, githttp.IncludedHeader)
	if err != nil || o.Operation != report.Updated || len(w.gh.PRs()[0].Comments) != 0 {
		t.Fatalf("%+v %v, comments %q\n%s", o, err, w.gh.PRs()[0].Comments, w.out.String())
	}
	if parent := testenv.Git(t, w.bare, "rev-parse", "winbake/win^"); parent != testenv.Git(t, w.bare, "rev-parse", "main") {
		t.Error("the branch was not moved onto main")
	}
}
