package git

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/githttp"
)

const (
	checkoutToken = "ghs_checkout_token_read_only"
	appToken      = "ghs_app_token_that_may_write"
)

// commitAs commits a file in dir as email and returns the commit.
func commitAs(t *testing.T, dir, email, file, content string) string {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, file), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "--quiet", "-m", file}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=x", "GIT_AUTHOR_EMAIL="+email, "GIT_COMMITTER_NAME=x", "GIT_COMMITTER_EMAIL="+email)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	out, _ := run(context.Background(), dir, nil, "rev-parse", "HEAD")
	return strings.TrimSpace(out)
}

func gitT(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := run(context.Background(), dir, nil, args...)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// origin is acme/infra behind a smart HTTP server that lets the checkout's
// token read and the app's token write, and a full clone to make history.
func origin(t *testing.T) (*githttp.Server, string) {
	root := t.TempDir()
	bare := filepath.Join(root, "acme", "infra")
	gitT(t, root, "init", "--quiet", "--bare", "-b", "main", bare)
	gitT(t, root, "clone", "--quiet", bare, filepath.Join(root, "dev"))
	dev := filepath.Join(root, "dev")
	commitAs(t, dev, "dev@example.com", "a.tf", "1\n")
	gitT(t, dev, "push", "--quiet", "origin", "HEAD:main")
	srv := githttp.Start(t, root, map[string]githttp.Access{checkoutToken: githttp.Read, appToken: githttp.Write})
	return srv, dev
}

// TestPushUsesTheGivenToken pushes from checkouts made as actions/checkout
// makes them, whatever it persisted: the server sees only the given token.
func TestPushUsesTheGivenToken(t *testing.T) {
	for name, persist := range map[string]githttp.Persist{"persist-credentials false": githttp.NoPersist, "v4 header in .git/config": githttp.ConfigHeader, "v6 includeIf under RUNNER_TEMP": githttp.IncludedHeader} {
		t.Run(name, func(t *testing.T) {
			srv, _ := origin(t)
			dir := t.TempDir()
			githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken, Persist: persist, RunnerTemp: t.TempDir()}.Clone(t, dir)
			ctx := context.Background()
			repo, err := Open(ctx, dir)
			if err != nil {
				t.Fatal(err)
			}
			// With what the checkout left, a push fails: read-only or no token.
			wt, err := repo.AddWorktree(ctx, "HEAD")
			if err != nil {
				t.Fatal(err)
			}
			defer wt.Close()
			commitAs(t, wt.Dir, "winbake@example.com", "b.tf", "2\n")
			if err := wt.Push(ctx, "winbake/win", ""); err == nil {
				t.Fatal("pushed with the checkout's credentials")
			} else if strings.Contains(err.Error(), "\n") {
				t.Errorf("error of more than one line: %q", err)
			}

			repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", appToken)
			shas, err := repo.RemoteBranches(ctx, "main", "winbake/win")
			if err != nil || shas[0] == "" || shas[1] != "" {
				t.Fatalf("branches %v %v", shas, err)
			}
			if err := wt.Push(ctx, "winbake/win", ""); err != nil {
				t.Fatal(err)
			}
			if got := srv.Pushes(); len(got) != 1 || got[0] != appToken {
				t.Errorf("pushes authenticated as %v, want only the given token", got)
			}
			for _, r := range srv.Requests() {
				if r.Status == 200 && r.Token != appToken && r.Token != checkoutToken {
					t.Errorf("request %v with unknown credentials", r)
				}
			}
			config, _ := os.ReadFile(filepath.Join(dir, ".git", "config"))
			if strings.Contains(string(config), appToken) || strings.Contains(string(config), githttp.Extraheader(appToken)) {
				t.Error("the given token was written into .git/config")
			}
		})
	}
}

// TestPushLease refuses to replace a commit pushed since it was read, in
// one line.
func TestPushLease(t *testing.T) {
	srv, dev := origin(t)
	ctx := context.Background()
	dir := t.TempDir()
	githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken}.Clone(t, dir)
	repo, _ := Open(ctx, dir)
	repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", appToken)
	wt, err := repo.AddWorktree(ctx, "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer wt.Close()
	commitAs(t, wt.Dir, "winbake@example.com", "b.tf", "2\n")
	// Someone pushes the branch after winbake looked (it was absent).
	commitAs(t, dev, "dev@example.com", "c.tf", "3\n")
	gitT(t, dev, "push", "--quiet", "origin", "HEAD:refs/heads/winbake/win")
	err = wt.Push(ctx, "winbake/win", "")
	var rej *Rejected
	if !errors.As(err, &rej) || !strings.Contains(err.Error(), "the branch moved while winbake worked") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
}

// TestFetchBranchFromShallowCheckout finds the branch's own commits in a
// depth-1 checkout after the base moved on, and none once it was merged.
func TestFetchBranchFromShallowCheckout(t *testing.T) {
	srv, dev := origin(t)
	ctx := context.Background()
	gitT(t, dev, "checkout", "--quiet", "-b", "winbake/win")
	ours := commitAs(t, dev, "winbake@example.com", "b.tf", "2\n")
	gitT(t, dev, "push", "--quiet", "origin", "winbake/win")
	gitT(t, dev, "checkout", "--quiet", "main")
	for i := range 3 {
		commitAs(t, dev, "dev@example.com", "main.tf", strings.Repeat("x", i+1))
	}
	gitT(t, dev, "push", "--quiet", "origin", "main")

	open := func() *Repo {
		dir := t.TempDir()
		githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken}.Clone(t, dir)
		repo, _ := Open(ctx, dir)
		repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", checkoutToken)
		if err := repo.Fetch(ctx, "main"); err != nil {
			t.Fatal(err)
		}
		return repo
	}
	commits, err := open().FetchBranch(ctx, "winbake/win", "main")
	if err != nil || len(commits) != 1 || commits[0].SHA != ours || commits[0].Author != "winbake@example.com" {
		t.Fatalf("commits %+v, %v; want only %s", commits, err, ours)
	}

	// Merged, and the branch left in place: the remote selects nothing to
	// exclude from; the tip alone is told.
	gitT(t, dev, "merge", "--quiet", "--no-ff", "-m", "merge", "winbake/win")
	gitT(t, dev, "push", "--quiet", "origin", "main")
	repo := open()
	commits, err = repo.FetchBranch(ctx, "winbake/win", "main")
	if err != nil || len(commits) != 1 || commits[0].SHA != ours {
		t.Fatalf("after the merge: %+v, %v", commits, err)
	}
	if sha, err := repo.Rev(ctx, Tracking("winbake/win")); err != nil || sha != ours {
		t.Errorf("branch tip %q, %v", sha, err)
	}
}

// TestTokenIsInNoArgument: every git command winbake runs is recorded by
// a git on PATH that logs its arguments; the token, plain or encoded, is
// in none of them, nor in any file of the checkout's git directory.
func TestTokenIsInNoArgument(t *testing.T) {
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	shim := t.TempDir()
	argv := filepath.Join(t.TempDir(), "argv")
	script := "#!/bin/sh\nprintf '%s\\n' \"$*\" >> '" + argv + "'\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	srv, _ := origin(t)
	dir := t.TempDir()
	githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken, Persist: githttp.ConfigHeader}.Clone(t, dir)
	t.Setenv("PATH", shim+string(os.PathListSeparator)+os.Getenv("PATH"))

	ctx := context.Background()
	repo, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", appToken)
	if _, err := repo.RemoteBranches(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	if err := repo.Fetch(ctx, "main"); err != nil {
		t.Fatal(err)
	}
	wt, err := repo.AddWorktree(ctx, Tracking("main"))
	if err != nil {
		t.Fatal(err)
	}
	defer wt.Close()
	commitAs(t, wt.Dir, "winbake@example.com", "b.tf", "2\n")
	if err := wt.Push(ctx, "winbake/win", ""); err != nil {
		t.Fatal(err)
	}
	logged, _ := os.ReadFile(argv)
	if !strings.Contains(string(logged), "push") {
		t.Fatalf("the shim saw no push:\n%s", logged)
	}
	secrets := []string{appToken, githttp.Extraheader(appToken)[len("AUTHORIZATION: basic "):]}
	for _, secret := range secrets {
		if strings.Contains(string(logged), secret) {
			t.Errorf("the token is in a git argument:\n%s", logged)
		}
	}
	filepath.WalkDir(filepath.Join(dir, ".git"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		for _, secret := range secrets {
			if strings.Contains(string(b), secret) {
				t.Errorf("the token is in %s", p)
			}
		}
		return nil
	})
}

// TestTokenKeepsTheEnvironmentsConfig: a runner or container may already
// give git config through GIT_CONFIG_COUNT (safe.directory is common);
// the token's header is added after it, not over it.
func TestTokenKeepsTheEnvironmentsConfig(t *testing.T) {
	t.Setenv("GIT_CONFIG_COUNT", "1")
	t.Setenv("GIT_CONFIG_KEY_0", "winbake.test")
	t.Setenv("GIT_CONFIG_VALUE_0", "kept")
	r := &Repo{Dir: t.TempDir(), Remote: HTTPSRemote("https://github.com", "acme/infra", appToken)}
	gitT(t, r.Dir, "init", "--quiet")
	out, err := r.remote(context.Background(), r.Dir, "config", "--get", "winbake.test")
	if err != nil || strings.TrimSpace(out) != "kept" {
		t.Errorf("winbake.test = %q, %v: the environment's config was dropped", out, err)
	}
	out, err = r.remote(context.Background(), r.Dir, "config", "--get-all", "http.https://github.com/acme/infra.extraheader")
	if err != nil || !strings.HasSuffix(strings.TrimSpace(out), githttp.Extraheader(appToken)) {
		t.Errorf("extraheader = %q, %v", out, err)
	}
}

// TestRefusedTokenIsSaid: a token the server refuses (a GitHub App token
// lives an hour; a bake may take longer) is said to be refused, in one
// line, not as git's prompt failure.
func TestRefusedTokenIsSaid(t *testing.T) {
	srv, _ := origin(t)
	dir := t.TempDir()
	githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken}.Clone(t, dir)
	repo, _ := Open(context.Background(), dir)
	repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", "ghs_expired")
	_, err := repo.RemoteBranches(context.Background(), "main")
	if err == nil || !strings.Contains(err.Error(), "refused the token") || strings.Contains(err.Error(), "\n") || strings.Contains(err.Error(), "ghs_expired") {
		t.Errorf("err = %v", err)
	}
}

// TestShallowFetchOfTheBaseIsItsTip: a depth-1 checkout of another branch
// (a workflow_dispatch from a feature branch) fetches the base's tip, not
// its whole history.
func TestShallowFetchOfTheBaseIsItsTip(t *testing.T) {
	srv, dev := origin(t)
	for i := range 20 {
		commitAs(t, dev, "dev@example.com", "main.tf", strings.Repeat("x", i+1))
	}
	gitT(t, dev, "push", "--quiet", "origin", "HEAD:main")
	gitT(t, dev, "checkout", "--quiet", "--orphan", "feat")
	commitAs(t, dev, "dev@example.com", "feat.tf", "1\n")
	gitT(t, dev, "push", "--quiet", "origin", "feat")
	dir := t.TempDir()
	githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Ref: "feat", Token: checkoutToken}.Clone(t, dir)
	repo, _ := Open(context.Background(), dir)
	repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", checkoutToken)
	if err := repo.Fetch(context.Background(), "main"); err != nil {
		t.Fatal(err)
	}
	if n := gitT(t, dir, "rev-list", "--count", Tracking("main")); n != "1" {
		t.Errorf("%s commits of main fetched, want its tip", n)
	}
}

// TestOldGitIsRefused: git before 2.31 ignores GIT_CONFIG_COUNT, so it
// would push with whatever the checkout persisted. winbake says so rather
// than push as someone else.
func TestOldGitIsRefused(t *testing.T) {
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	shim := t.TempDir()
	script := "#!/bin/sh\nif [ \"$1\" = version ]; then echo 'git version 2.25.1'; exit 0; fi\nexec '" + real + "' \"$@\"\n"
	if err := os.WriteFile(filepath.Join(shim, "git"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	srv, _ := origin(t)
	dir := t.TempDir()
	githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: appToken, Persist: githttp.ConfigHeader}.Clone(t, dir)
	t.Setenv("PATH", shim+string(os.PathListSeparator)+os.Getenv("PATH"))
	repo, err := Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", checkoutToken)
	before := len(srv.Requests())
	if _, err := repo.RemoteBranches(context.Background(), "main"); err == nil || !strings.Contains(err.Error(), "2.31") {
		t.Errorf("err = %v", err)
	}
	if after := srv.Requests()[before:]; len(after) != 0 {
		t.Errorf("git talked to the server: %v", after)
	}
}

// TestMoreSpecificPersistedHeaderIsCleared: a header persisted for the
// repository's own URL (a workflow's own git config step) is more specific
// than the server's; git ignores a less specific key after it, so the
// token goes under the repository's URL.
func TestMoreSpecificPersistedHeaderIsCleared(t *testing.T) {
	srv, _ := origin(t)
	dir := t.TempDir()
	githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken, Persist: githttp.ConfigHeader}.Clone(t, dir)
	gitT(t, dir, "config", "--local", "http."+srv.URL()+"/acme/infra.extraheader", githttp.Extraheader(checkoutToken))
	repo, _ := Open(context.Background(), dir)
	repo.Remote = HTTPSRemote(srv.URL(), "acme/infra", appToken)
	wt, err := repo.AddWorktree(context.Background(), "HEAD")
	if err != nil {
		t.Fatal(err)
	}
	defer wt.Close()
	commitAs(t, wt.Dir, "winbake@example.com", "b.tf", "2\n")
	if err := wt.Push(context.Background(), "winbake/win", ""); err != nil {
		t.Fatal(err)
	}
	if got := srv.Pushes(); len(got) != 1 || got[0] != appToken {
		t.Errorf("pushes by %v, want only the given token", got)
	}
}
