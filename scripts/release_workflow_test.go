package scripts

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/winbake/winbake/internal/testing/testenv"
)

// releaseStep is the run script of the release workflow's step named name.
func releaseStep(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), ".github", "workflows", "release.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct{ Name, Run string }
		}
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	for _, s := range wf.Jobs["release"].Steps {
		if s.Name == name {
			return s.Run
		}
	}
	t.Fatalf("release.yml has no step %q", name)
	return ""
}

// TestMajorTagMovesOnlyForward: a fix released on an older line (v1.4.3
// after v1.5.0) must not take v1 back to it; users of @v1 would lose
// v1.5.0. The step runs as GitHub's `shell: bash` does (bash -e -o
// pipefail), in a clone whose origin is a local bare repository.
func TestMajorTagMovesOnlyForward(t *testing.T) {
	script := releaseStep(t, "Move the major tag")
	_, work := testenv.Origin(t, map[string]string{"README.md": "winbake\n"})
	release := func(version string) string {
		testenv.Git(t, work, "commit", "--allow-empty", "-qm", "release "+version)
		testenv.Git(t, work, "tag", "-a", version, "-m", "winbake "+version)
		testenv.Git(t, work, "push", "-q", "origin", "refs/tags/"+version)
		cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "VERSION="+version, "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("moving the major tag for %s: %v\n%s", version, err, out)
		}
		return testenv.Git(t, work, "rev-parse", version+"^{commit}")
	}
	v1 := func() string {
		out := testenv.Git(t, work, "ls-remote", "origin", "refs/tags/v1^{}")
		if len(out) < 40 {
			t.Fatalf("origin has no v1: %q", out)
		}
		return out[:40]
	}

	v150 := release("v1.5.0")
	if v1() != v150 {
		t.Fatal("v1 is not at v1.5.0")
	}
	release("v1.4.3")
	if v1() != v150 {
		t.Error("releasing v1.4.3 after v1.5.0 moved v1 back to v1.4.3")
	}
	v1510 := release("v1.5.10")
	release("v1.5.9")
	if v1() != v1510 {
		t.Error("v1 is not at v1.5.10, the newest (versions compare by number, not as text)")
	}
}
