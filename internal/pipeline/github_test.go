package pipeline

import (
	"context"
	"testing"

	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// checkoutOf is a checkout whose origin is url, as actions/checkout sets
// it (with a repository input, the workflow's own repository is another).
func checkoutOf(t *testing.T, url string) *git.Repo {
	dir := t.TempDir()
	testenv.Git(t, dir, "init", "--quiet")
	if url != "" {
		testenv.Git(t, dir, "remote", "add", "origin", url)
	}
	repo, err := git.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// TestRepositoryIsTheCheckouts: a workflow of acme/pipelines that checks
// out acme/infra (actions/checkout's repository input) bumps acme/infra:
// GITHUB_REPOSITORY names the workflow's repository, not the checkout's,
// and pushing the checkout's base to it, or opening the PR there, would
// bump the wrong repository.
func TestRepositoryIsTheCheckouts(t *testing.T) {
	env := map[string]string{"GITHUB_TOKEN": "ghs_x", "GITHUB_REPOSITORY": "acme/pipelines", "GITHUB_SERVER_URL": "https://github.com"}
	for url, want := range map[string]string{
		"https://github.com/acme/infra": "acme/infra",
		"git@github.com:acme/infra.git": "acme/infra",
		"/srv/git/not-on-github/infra":  "acme/pipelines", // origin names none
		"":                              "acme/pipelines", // no origin
	} {
		hub, err := GitHub(context.Background(), checkoutOf(t, url), func(k string) string { return env[k] })
		if err != nil {
			t.Fatalf("origin %q: %v", url, err)
		}
		if got := hub.Client.Owner + "/" + hub.Client.Repo; got != want || hub.Remote.URL != "https://github.com/"+want {
			t.Errorf("origin %q: API repository %s, git remote %s; want %s", url, got, hub.Remote.URL, want)
		}
	}
	if _, err := GitHub(context.Background(), checkoutOf(t, ""), func(k string) string { return map[string]string{"GITHUB_TOKEN": "x"}[k] }); err == nil {
		t.Error("no origin and no GITHUB_REPOSITORY: no error")
	}
}
