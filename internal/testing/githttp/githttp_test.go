package githttp

import (
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func gitEnv(t *testing.T, dir string, env []string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@x", "GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@x"), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func header(tok string) string {
	return "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+tok))
}

func TestServerAcceptsOnlyItsTokens(t *testing.T) {
	root := t.TempDir()
	bare := filepath.Join(root, "acme", "infra")
	os.MkdirAll(bare, 0o755)
	if out, err := gitEnv(t, root, nil, "init", "-q", "--bare", "-b", "main", bare); err != nil {
		t.Fatal(out)
	}
	s := Start(t, root, map[string]Access{"good": Write, "ro": Read})
	url := s.URL() + "/acme/infra"
	work := t.TempDir()
	key := "http." + s.URL() + "/.extraheader"
	if out, err := gitEnv(t, work, nil, "clone", "-q", url, "c"); err == nil {
		t.Fatalf("clone without token worked: %s", out)
	}
	if out, err := gitEnv(t, work, []string{"GIT_CONFIG_COUNT=1", "GIT_CONFIG_KEY_0=" + key, "GIT_CONFIG_VALUE_0=" + header("ro")}, "clone", "-q", url, "c"); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	c := filepath.Join(work, "c")
	os.WriteFile(filepath.Join(c, "f"), []byte(strings.Repeat("x", 3<<20)), 0o644)
	gitEnv(t, c, nil, "add", ".")
	gitEnv(t, c, nil, "commit", "-qm", "x")
	// A persisted read-only token, as actions/checkout leaves it, is
	// replaced for one command by an empty value and then the other token
	// for the same key.
	gitEnv(t, c, nil, "config", key, header("ro"))
	if out, err := gitEnv(t, c, nil, "push", "-q", "origin", "HEAD:main"); err == nil {
		t.Fatalf("push with ro: %s", out)
	} else if !strings.Contains(out, "403") {
		t.Errorf("refused push: %s", out)
	}
	env := []string{"GIT_CONFIG_COUNT=2", "GIT_CONFIG_KEY_0=" + key, "GIT_CONFIG_VALUE_0=", "GIT_CONFIG_KEY_1=" + key, "GIT_CONFIG_VALUE_1=" + header("good")}
	if out, err := gitEnv(t, c, env, "push", "-q", "origin", "HEAD:main"); err != nil {
		t.Fatalf("push: %v %s", err, out)
	}
	if got := s.Pushes(); len(got) != 1 || got[0] != "good" {
		t.Errorf("pushes by %v, want one by the writing token", got)
	}
}
