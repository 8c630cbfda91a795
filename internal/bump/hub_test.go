package bump

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/githttp"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// The tests here meet what a scheduled workflow meets: a repository on a
// git server that speaks smart HTTP and accepts only its tokens, checked
// out at depth 1 as actions/checkout does before every run, and GitHub.

const (
	// checkoutToken is GITHUB_TOKEN, persisted by actions/checkout: it may
	// read, not push (permissions: contents: read).
	checkoutToken = "ghs_github_token_read_only"
	// appToken is the github-token input (a GitHub App token): it may push,
	// and it is the token the fake API accepts.
	appToken = githubfake.Token
)

type hubWorld struct {
	t    *testing.T
	aws  *awsfake.Server
	srv  *githttp.Server
	gh   *githubfake.Server
	bare string
	dev  string // a developer's full clone
	cfg  *config.Config
	ec2  func(string) amiref.EC2API
	out  bytes.Buffer
}

func newHubWorld(t *testing.T, files map[string]string, pullRequest string) *hubWorld {
	w := &hubWorld{t: t, aws: awsfake.Start(t)}
	w.aws.AddEKSAMIWithID("us-east-1", "2022-core", "1.31", stockEast)
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	w.ec2 = func(r string) amiref.EC2API { return clients.EC2(r) }
	if w.cfg, err = config.Parse("winbake.yaml", []byte("images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n"+pullRequest)); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	w.bare = filepath.Join(root, "acme", "infra")
	w.dev = filepath.Join(root, "dev")
	testenv.Git(t, root, "init", "--quiet", "--bare", "-b", "main", w.bare)
	testenv.Git(t, root, "clone", "--quiet", w.bare, w.dev)
	w.commit(files, "infra")
	testenv.Git(t, w.dev, "push", "--quiet", "origin", "main")
	w.srv = githttp.Start(t, root, map[string]githttp.Access{checkoutToken: githttp.Read, appToken: githttp.Write})
	w.gh = githubfake.Start(t, "acme", "infra")
	w.gh.GitDir = w.bare
	return w
}

// commit commits files in the developer's clone, as dev@example.com.
func (w *hubWorld) commit(files map[string]string, msg string) {
	for name, content := range files {
		os.MkdirAll(filepath.Join(w.dev, filepath.Dir(name)), 0o755)
		if err := os.WriteFile(filepath.Join(w.dev, name), []byte(content), 0o644); err != nil {
			w.t.Fatal(err)
		}
	}
	testenv.Git(w.t, w.dev, "add", ".")
	testenv.Git(w.t, w.dev, "commit", "--quiet", "-m", msg)
}

// baked is a bake of AMI ami, tagged in the fake EC2 as the image's own
// so that the next month finds it of the lineage.
func (w *hubWorld) baked(ami, finished string) bake.Image {
	w.aws.AddImage("us-east-1", awsfake.Image{ID: ami, Name: "winbake-win-1.31-" + finished, Tags: map[string]string{"winbake:image": "win"}})
	b := baked(ami, ami)
	b.AMIs = []bake.AMI{{Region: "us-east-1", AMI: ami}}
	b.Finished = finished
	return b
}

// run is one scheduled run: a fresh depth-1 checkout, then bump.
func (w *hubWorld) run(b bake.Image, persist githttp.Persist) (Outcome, error) {
	w.t.Helper()
	dir := w.t.TempDir()
	githttp.Checkout{Server: w.srv.URL(), Repository: "acme/infra", Token: checkoutToken, Persist: persist, RunnerTemp: w.t.TempDir()}.Clone(w.t, dir)
	img, _ := w.cfg.Image("win")
	return Image(context.Background(), Options{Dir: dir, Config: w.cfg, Mode: PullRequest, EC2: w.ec2, Out: &w.out,
		GitHub: w.hubWithPushToken(appToken)}, img, b)
}

func (w *hubWorld) branchSHA() string {
	return testenv.Git(w.t, w.bare, "rev-parse", "--verify", "-q", "refs/heads/winbake/win")
}

type bakeImage = bake.Image

// hubWithPushToken connects to the fake GitHub, and pushes with token.
func (w *hubWorld) hubWithPushToken(token string) func(context.Context, *git.Repo) (Hub, error) {
	return func(ctx context.Context, repo *git.Repo) (Hub, error) {
		c, err := github.New(appToken, w.gh.URL(), "acme/infra", github.Options{Sleep: noSleep})
		return Hub{Client: c, Remote: git.HTTPSRemote(w.srv.URL(), "acme/infra", token)}, err
	}
}
