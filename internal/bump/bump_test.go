package bump

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
	"github.com/winbake/winbake/internal/report"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

const (
	stockEast = "ami-0e0e0e0e0e0e0e0e1"
	bakedWest = "ami-0b0b0b0b0b0b0b0b2"
	linuxEast = "ami-0a1a1a1a1a1a1a1a1"
)

type world struct {
	t    *testing.T
	bare string
	work string
	gh   *githubfake.Server
	cfg  *config.Config
	ec2  func(string) amiref.EC2API
	out  bytes.Buffer
}

func newWorld(t *testing.T) *world {
	s := awsfake.Start(t)
	s.AddEKSAMIWithID("us-east-1", "2022-core", "1.31", stockEast)
	s.AddImage("us-east-1", awsfake.Image{ID: linuxEast, Name: "amazon-eks-node-al2023-x86_64-standard-1.31-v20261015", Owner: "602401143452", OwnerAlias: "amazon"})
	s.AddImage("eu-west-1", awsfake.Image{ID: bakedWest, Name: "winbake-win-1.31-old", Tags: map[string]string{"winbake:image": "win"}})
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("winbake.yaml", []byte(`images:
  - name: win
    kubernetes: "1.31"
    windows: 2022-core
    regions: [us-east-1, eu-west-1]
pullRequest:
  labels: [windows, ami]
  reviewers: [octocat]
  teamReviewers: [platform]
`))
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, gh: githubfake.Start(t, "acme", "infra"), cfg: cfg, ec2: func(r string) amiref.EC2API { return clients.EC2(r) }}
	w.bare, w.work = testenv.Origin(t, map[string]string{
		"terraform/main.tf":   "resource \"aws_launch_template\" \"win\" {\n  image_id = \"" + stockEast + "\" # windows\n}\n\nresource \"aws_launch_template\" \"linux\" {\n  image_id = \"" + linuxEast + "\"\n}\n",
		"eksctl/cluster.yaml": "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: prod}\nnodeGroups:\n  - name: win\n    ami: " + bakedWest + "\n",
	})
	return w
}

func baked(east, west string) bake.Image {
	return bake.Image{Name: "win", Kubernetes: "1.31", Windows: "2022-core", Updates: true, Builder: "imagebuilder",
		AMIs:    []bake.AMI{{Region: "eu-west-1", AMI: west}, {Region: "us-east-1", AMI: east}},
		BaseAMI: stockEast, SSMParameter: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id",
		BuildVersionARN: "arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-win/1.0.0/1",
		Cache:           []bake.Cached{{Ref: "mcr.microsoft.com/windows/nanoserver:ltsc2022", Digest: "sha256:" + strings.Repeat("a", 64), Size: 120 << 20}},
		Finished:        "2026-11-14T10:00:00Z"}
}

func (w *world) run(mode Mode, b bake.Image) (Outcome, error) {
	img, _ := w.cfg.Image("win")
	return Image(context.Background(), Options{Dir: w.work, Config: w.cfg, Mode: mode, EC2: w.ec2, Out: &w.out,
		GitHub: w.hub(githubfake.Token)}, img, b)
}

// hub connects to the fake GitHub with token; git uses origin.
func (w *world) hub(token string) func(context.Context, *git.Repo) (Hub, error) {
	return func(ctx context.Context, repo *git.Repo) (Hub, error) {
		c, err := github.New(token, w.gh.URL(), "acme/infra", github.Options{Sleep: noSleep})
		return Hub{Client: c, Remote: git.Remote{URL: "origin"}}, err
	}
}

// noSleep stands in for waits: tests do not wait for real.
func noSleep(context.Context, time.Duration) error { return nil }

func (w *world) branchFile(name string) string {
	return testenv.Git(w.t, w.bare, "show", "winbake/win:"+name)
}

func (w *world) branchSHA() string {
	out, _ := exec.Command("git", "-C", w.bare, "rev-parse", "--verify", "-q", "refs/heads/winbake/win").Output()
	return strings.TrimSpace(string(out))
}

const (
	newEast1, newWest1 = "ami-01111111111111111", "ami-01111111111111112"
	newEast2, newWest2 = "ami-02222222222222221", "ami-02222222222222222"
)

func TestCreateUpdateNone(t *testing.T) {
	w := newWorld(t)
	before := testenv.Git(t, w.work, "rev-parse", "HEAD")
	o, err := w.run(PullRequest, baked(newEast1, newWest1))
	if err != nil {
		t.Fatalf("%v\n%s", err, w.out.String())
	}
	if o.Operation != report.Created || o.Number != 1 || o.Changes != 2 {
		t.Fatalf("outcome %+v", o)
	}
	tf := w.branchFile("terraform/main.tf")
	if !strings.Contains(tf, `image_id = "`+newEast1+`" # windows`) || !strings.Contains(tf, linuxEast) {
		t.Errorf("branch main.tf:\n%s", tf)
	}
	if !strings.Contains(w.branchFile("eksctl/cluster.yaml"), "ami: "+newWest1) {
		t.Error("eu-west-1 reference not bumped to the eu-west-1 AMI")
	}
	msg := testenv.Git(t, w.bare, "log", "-1", "--format=%an <%ae>|%s", "winbake/win")
	if msg != "winbake <winbake@users.noreply.github.com>|Bump win Windows AMI to "+newEast1+" (1.31, 2026-11-14)" {
		t.Errorf("commit: %s", msg)
	}
	pr := w.gh.PRs()[0]
	if pr.Head != "winbake/win" || pr.Base != "main" || !strings.Contains(pr.Body, "<!-- winbake:image=win ami="+newEast1+" -->") ||
		strings.Join(pr.Labels, ",") != "windows,ami" || strings.Join(pr.Reviewers, ",") != "octocat" || strings.Join(pr.TeamReviewers, ",") != "platform" {
		t.Errorf("PR %+v", pr)
	}
	for _, want := range []string{"| `terraform/main.tf:2` | aws_launch_template.win.image_id | us-east-1 | `" + stockEast + "` → `" + newEast1 + "` |", "nanoserver:ltsc2022", "1 AMI reference(s) left alone, with the reason", "Rolling out"} {
		if !strings.Contains(pr.Body, want) {
			t.Errorf("PR body lacks %q:\n%s", want, pr.Body)
		}
	}
	// The user's checkout is untouched.
	if testenv.Git(t, w.work, "rev-parse", "HEAD") != before || testenv.Git(t, w.work, "status", "--porcelain") != "" {
		t.Error("the user's checkout changed")
	}

	// A newer AMI updates the same PR.
	o, err = w.run(PullRequest, baked(newEast2, newWest2))
	if err != nil || o.Operation != report.Updated || o.Number != 1 || len(w.gh.PRs()) != 1 {
		t.Fatalf("second run: %+v %v", o, err)
	}
	if !strings.Contains(w.branchFile("terraform/main.tf"), newEast2) || !strings.Contains(w.gh.PRs()[0].Title, newEast2) {
		t.Error("the branch or PR does not have the newer AMI")
	}

	// The same AMI again changes nothing.
	sha := w.branchSHA()
	o, err = w.run(PullRequest, baked(newEast2, newWest2))
	if err != nil || o.Operation != report.None || w.branchSHA() != sha {
		t.Fatalf("third run: %+v %v (branch moved: %v)", o, err, w.branchSHA() != sha)
	}
}

func TestHumanCommitIsNotOverwritten(t *testing.T) {
	w := newWorld(t)
	if _, err := w.run(PullRequest, baked(newEast1, newWest1)); err != nil {
		t.Fatal(err)
	}
	// Someone fixes something on the branch.
	testenv.Git(t, w.work, "fetch", "--quiet", "origin")
	testenv.Git(t, w.work, "checkout", "--quiet", "-b", "winbake/win", "origin/winbake/win")
	os.WriteFile(filepath.Join(w.work, "NOTES.md"), []byte("rolled out to staging\n"), 0o644)
	testenv.Git(t, w.work, "add", ".")
	testenv.Git(t, w.work, "commit", "--quiet", "-m", "notes")
	testenv.Git(t, w.work, "push", "--quiet", "origin", "winbake/win")
	testenv.Git(t, w.work, "checkout", "--quiet", "main")
	sha := w.branchSHA()

	o, err := w.run(PullRequest, baked(newEast2, newWest2))
	if err != nil || o.Operation != report.LeftAlone {
		t.Fatalf("%+v %v", o, err)
	}
	if w.branchSHA() != sha {
		t.Error("the branch was overwritten")
	}
	// The next run says nothing new on the pull request.
	if o, err := w.run(PullRequest, baked(newEast2, newWest2)); err != nil || o.Operation != report.LeftAlone {
		t.Fatalf("%+v %v", o, err)
	}
	pr := w.gh.PRs()[0]
	if len(pr.Comments) != 1 || !strings.Contains(pr.Comments[0], "it has commits by dev@example.com") {
		t.Errorf("comments: %v", pr.Comments)
	}
}

func TestClosedWithoutMergeIsNotReopened(t *testing.T) {
	w := newWorld(t)
	if _, err := w.run(PullRequest, baked(newEast1, newWest1)); err != nil {
		t.Fatal(err)
	}
	w.gh.SetPR(1, func(p *githubfake.PR) { p.State = "closed" })
	o, err := w.run(PullRequest, baked(newEast1, newWest1))
	if err != nil || o.Operation != report.None || len(w.gh.PRs()) != 1 {
		t.Fatalf("same AMI after a rejection: %+v %v, %d PRs", o, err, len(w.gh.PRs()))
	}
	o, err = w.run(PullRequest, baked(newEast2, newWest2))
	if err != nil || o.Operation != report.Created || o.Number != 2 {
		t.Fatalf("newer AMI: %+v %v", o, err)
	}
}

func TestMergedClosesStalePR(t *testing.T) {
	w := newWorld(t)
	if _, err := w.run(PullRequest, baked(newEast1, newWest1)); err != nil {
		t.Fatal(err)
	}
	// The change reached main another way; the PR is still open.
	testenv.Git(t, w.work, "fetch", "--quiet", "origin")
	testenv.Git(t, w.work, "merge", "--quiet", "--ff-only", "origin/winbake/win")
	testenv.Git(t, w.work, "push", "--quiet", "origin", "main")
	o, err := w.run(PullRequest, baked(newEast1, newWest1))
	if err != nil || o.Operation != report.Closed {
		t.Fatalf("%+v %v", o, err)
	}
	if pr := w.gh.PRs()[0]; pr.State != "closed" || len(pr.Comments) != 1 {
		t.Errorf("PR %+v", pr)
	}
}

func TestGitHubFaults(t *testing.T) {
	t.Run("actions may not create PRs", func(t *testing.T) {
		w := newWorld(t)
		w.gh.Fail("POST /repos/acme/infra/pulls", 403, "GitHub Actions is not permitted to create or approve pull requests.", 1)
		_, err := w.run(PullRequest, baked(newEast1, newWest1))
		if err == nil || !strings.Contains(err.Error(), "Allow GitHub Actions to create and approve pull requests") {
			t.Fatalf("err = %v", err)
		}
		// The next run, with the setting fixed, completes.
		o, err := w.run(PullRequest, baked(newEast1, newWest1))
		if err != nil || o.Operation != report.Created {
			t.Fatalf("next run: %+v %v", o, err)
		}
	})
	t.Run("a 422 is GitHub's final answer, in one line; the next run adds the labels", func(t *testing.T) {
		w := newWorld(t)
		w.gh.Fail("POST /repos/acme/infra/issues/1/labels", 422, "Label does not exist", 1)
		o, err := w.run(PullRequest, baked(newEast1, newWest1))
		if err == nil || o.Operation != report.Created || err.Error() != "labelling pull request #1: GitHub answered 422: Validation Failed: Label does not exist" {
			t.Fatalf("%+v %v", o, err)
		}
		if o, err := w.run(PullRequest, baked(newEast1, newWest1)); err != nil || o.Operation != report.Updated {
			t.Fatalf("next run: %+v %v", o, err)
		}
		if got := strings.Join(w.gh.PRs()[0].Labels, ","); got != "windows,ami" {
			t.Errorf("labels %q", got)
		}
	})
	t.Run("5xx is retried", func(t *testing.T) {
		w := newWorld(t)
		w.gh.Fail("GET /repos/acme/infra/pulls", 502, "Server Error", 2)
		if o, err := w.run(PullRequest, baked(newEast1, newWest1)); err != nil || o.Operation != report.Created {
			t.Fatalf("%+v %v", o, err)
		}
	})
	t.Run("bad token", func(t *testing.T) {
		w := newWorld(t)
		img, _ := w.cfg.Image("win")
		_, err := Image(context.Background(), Options{Dir: w.work, Config: w.cfg, EC2: w.ec2, Out: &w.out,
			GitHub: w.hub("ghs_wrong")}, img, baked(newEast1, newWest1))
		if err == nil || !strings.Contains(err.Error(), "GitHub refused the token (Bad credentials)") {
			t.Fatalf("err = %v", err)
		}
		if w.branchSHA() != "" {
			t.Error("a branch was pushed with a refused token")
		}
	})
}

func TestBadRepository(t *testing.T) {
	w := newWorld(t)
	os.WriteFile(filepath.Join(w.work, "terraform/main.tf"), []byte("changed"), 0o644)
	if _, err := w.run(PullRequest, baked(newEast1, newWest1)); err == nil || !strings.Contains(err.Error(), "has uncommitted changes") {
		t.Errorf("dirty tree: %v", err)
	}
	testenv.Git(t, w.work, "checkout", "--", ".")

	w.cfg.PullRequest.BaseBranch = "release"
	if _, err := w.run(PullRequest, baked(newEast1, newWest1)); err == nil || !strings.Contains(err.Error(), `base branch "release" does not exist on origin`) {
		t.Errorf("missing base: %v", err)
	}
	w.work = t.TempDir()
	if _, err := w.run(PullRequest, baked(newEast1, newWest1)); err == nil || !strings.Contains(err.Error(), "is not a git checkout") {
		t.Errorf("not git: %v", err)
	}
	if len(w.gh.Requests()) != 0 {
		t.Errorf("GitHub was called: %v", w.gh.Requests())
	}
}

func TestDryRunAndNoPR(t *testing.T) {
	w := newWorld(t)
	o, err := w.run(DryRun, baked(newEast1, newWest1))
	if err != nil || o.Changes != 2 {
		t.Fatalf("%+v %v", o, err)
	}
	out := w.out.String()
	for _, want := range []string{"terraform/main.tf:2  aws_launch_template.win.image_id  us-east-1: " + stockEast + " → " + newEast1, "left alone:", linuxEast} {
		if !strings.Contains(out, want) {
			t.Errorf("dry run lacks %q:\n%s", want, out)
		}
	}
	if testenv.Git(t, w.work, "status", "--porcelain") != "" {
		t.Error("dry run touched the tree")
	}
	if _, err := w.run(NoPR, baked(newEast1, newWest1)); err != nil {
		t.Fatal(err)
	}
	if st := testenv.Git(t, w.work, "status", "--porcelain"); !strings.Contains(st, "terraform/main.tf") || !strings.Contains(st, "eksctl/cluster.yaml") {
		t.Errorf("--no-pr status: %q", st)
	}
	if len(w.gh.Requests()) != 0 || w.branchSHA() != "" {
		t.Error("dry run or --no-pr talked to GitHub or pushed")
	}
}

func TestSignedCommitsThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	w.gh.GitDir = w.bare
	w.cfg.PullRequest.SignCommits = true
	o, err := w.run(PullRequest, baked(newEast1, newWest1))
	if err != nil || o.Operation != report.Created {
		t.Fatalf("%+v %v\n%s", o, err, w.out.String())
	}
	if len(w.gh.SignedCommits) != 1 || w.branchSHA() != w.gh.SignedCommits[0] {
		t.Fatalf("branch %s, API commits %v", w.branchSHA(), w.gh.SignedCommits)
	}
	if !strings.Contains(w.branchFile("terraform/main.tf"), newEast1) || !strings.Contains(w.branchFile("eksctl/cluster.yaml"), newWest1) {
		t.Error("the API commit lacks the rewritten files")
	}
	// The commit is the image's own: a newer bake updates it, through the API again.
	// GitHub signs it only without a custom author: it is the token's.
	if author := testenv.Git(t, w.bare, "log", "-1", "--format=%ae|%cn", "winbake/win"); author != githubfake.BotEmail+"|GitHub" {
		t.Errorf("author|committer = %s", author)
	}
	o, err = w.run(PullRequest, baked(newEast2, newWest2))
	if err != nil || o.Operation != report.Updated || len(w.gh.SignedCommits) != 2 || w.branchSHA() != w.gh.SignedCommits[1] {
		t.Fatalf("second run: %+v %v, commits %v", o, err, w.gh.SignedCommits)
	}
}

// A bump.paths entry the repository lacks is a config error at its line,
// not a failed lstat deep in the scan.
func TestMissingBumpPath(t *testing.T) {
	w := newWorld(t)
	cfg, err := config.Parse("winbake.yaml", []byte("images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1, eu-west-1]\nbump:\n  paths: [terraform, clusters]\n"))
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = cfg
	_, err = w.run(DryRun, baked(newEast1, newWest1))
	want := `winbake.yaml:7:22: bump.paths[1]: "clusters" is not in the repository; list folders that exist, relative to its root`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v\nwant %s", err, want)
	}
}

// The config file in use is never bumped (its images[].amis keep the
// lineage), nor is anything reached through a symlink out of the
// repository, even with --no-pr writing straight into the checkout.
func TestNoPRLeavesConfigAndOutsideAlone(t *testing.T) {
	w := newWorld(t)
	cfgFile := filepath.Join(w.work, "deploy", "images.yaml")
	cfgBody := "images:\n  - name: win\n    amis: [" + stockEast + "]\n"
	outside := t.TempDir()
	outsideFile := filepath.Join(outside, "nodes.tf")
	for name, body := range map[string]string{cfgFile: cfgBody, outsideFile: "image_id = \"" + stockEast + "\"\n"} {
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, filepath.Join(w.work, "shared")); err != nil {
		t.Fatal(err)
	}
	w.cfg.Source = cfgFile
	w.cfg.Bump.Paths = []string{".", "shared"}
	if _, err := w.run(NoPR, baked(newEast1, newWest1)); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{cfgFile: cfgBody, outsideFile: "image_id = \"" + stockEast + "\"\n"} {
		if b, _ := os.ReadFile(name); string(b) != want {
			t.Errorf("%s was rewritten:\n%s", name, b)
		}
	}
	for _, want := range []string{"deploy/images.yaml  winbake's own config, in use", "shared  a symlink"} {
		if !strings.Contains(w.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, w.out.String())
		}
	}
}

// Run from a subdirectory of the checkout with the config at its root, the
// config in use is still recognised and left alone.
func TestConfigIsLeftAloneFromASubdirectory(t *testing.T) {
	w := newWorld(t)
	cfgFile := filepath.Join(w.work, "images.yaml")
	cfgBody := "images:\n  - name: win\n    amis: [" + stockEast + "]\n"
	if err := os.WriteFile(cfgFile, []byte(cfgBody), 0o644); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(w.work, "terraform")
	os.MkdirAll(sub, 0o755)
	w.cfg.Source = filepath.Join(sub, "..", "images.yaml")
	img, _ := w.cfg.Image("win")
	if _, err := Image(context.Background(), Options{Dir: sub, Config: w.cfg, Mode: NoPR, EC2: w.ec2, Out: &w.out,
		GitHub: w.hub(githubfake.Token)}, img, baked(newEast1, newWest1)); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cfgFile); string(b) != cfgBody {
		t.Errorf("the config in use was rewritten:\n%s", b)
	}
}
