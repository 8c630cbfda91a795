package githttp

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Persist is how a checkout keeps its token for later git commands.
type Persist int

// The ways actions/checkout persists credentials (src/git-auth-helper.ts).
const (
	// NoPersist is persist-credentials: false.
	NoPersist Persist = iota
	// ConfigHeader is actions/checkout v4 and v5: the header in .git/config.
	ConfigHeader
	// IncludedHeader is actions/checkout v6: the header in a file under
	// RUNNER_TEMP that .git/config includes for the repository's git
	// directory and its worktrees (includeIf.gitdir).
	IncludedHeader
)

// Checkout is one actions/checkout step.
type Checkout struct {
	Server     string // GITHUB_SERVER_URL
	Repository string // owner/name
	Ref        string // the branch, "main" if empty
	Token      string // the token input (GITHUB_TOKEN)
	Persist    Persist
	RunnerTemp string // for IncludedHeader
}

// Extraheader is the header value actions/checkout stores for token.
func Extraheader(token string) string {
	return "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+token))
}

// Clone makes dir a checkout as actions/checkout makes it with its
// defaults: one commit (fetch-depth 1), no tags, the branch checked out,
// origin set to the server's URL, and the token kept as c.Persist says.
func (c Checkout) Clone(t testing.TB, dir string) {
	t.Helper()
	ref := c.Ref
	if ref == "" {
		ref = "main"
	}
	url := strings.TrimRight(c.Server, "/") + "/" + c.Repository
	key := "http." + strings.TrimRight(c.Server, "/") + "/.extraheader"
	gitc := func(env []string, args ...string) {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(append(os.Environ(), "GIT_TERMINAL_PROMPT=0"), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("checkout: git %v: %v\n%s", args, err, out)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	gitc(nil, "init", "--quiet")
	gitc(nil, "remote", "add", "origin", url)
	var fetchEnv []string
	switch c.Persist {
	case ConfigHeader:
		gitc(nil, "config", "--local", key, Extraheader(c.Token))
	case IncludedHeader:
		file := filepath.Join(c.RunnerTemp, "git-credentials-checkout.config")
		gitc(nil, "config", "--file", file, key, Extraheader(c.Token))
		gitDir := filepath.ToSlash(filepath.Join(dir, ".git"))
		gitc(nil, "config", "--local", "includeIf.gitdir:"+gitDir+".path", file)
		gitc(nil, "config", "--local", "includeIf.gitdir:"+gitDir+"/worktrees/*.path", file)
	default:
		// The token serves the fetch only.
		fetchEnv = []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=" + key, "GIT_CONFIG_VALUE_0=" + Extraheader(c.Token)}
	}
	gitc(fetchEnv, "fetch", "--no-tags", "--prune", "--no-recurse-submodules", "--depth=1", "origin", "+refs/heads/"+ref+":refs/remotes/origin/"+ref)
	gitc(nil, "checkout", "--quiet", "--force", "-B", ref, "refs/remotes/origin/"+ref)
}
