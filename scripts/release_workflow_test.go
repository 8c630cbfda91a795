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

// fakeGH stands in for the gh commands the release step uses on a rerun, as
// cli/cli defines them: `release view` finds a draft as well as a published
// release (pkg/cmd/release/shared/fetch.go, fetchDraftRelease), `release
// upload --clobber` replaces assets of the same name, `release edit
// --draft=false` publishes. Releases are folders under $FAKE_GH_STATE.
const fakeGH = `#!/usr/bin/env bash
set -euo pipefail
[ "$1" = release ] || { echo "fake gh: $1 is not modelled" >&2; exit 2; }
cmd=$2 rel=$FAKE_GH_STATE/$3
shift 3
[ -d "$rel" ] || { echo "release not found" >&2; exit 1; }
case $cmd in
view) ;;
upload)
	clobber=false
	for a; do case $a in --clobber) clobber=true ;; -*) echo "fake gh: flag $a is not modelled" >&2; exit 2 ;; esac; done
	for a; do
		case $a in -*) continue ;; esac
		n=$(basename "$a")
		if [ -e "$rel/assets/$n" ] && ! $clobber; then echo "asset under the same name already exists: [$n]" >&2; exit 1; fi
		cp "$a" "$rel/assets/$n"
	done ;;
edit)
	for a; do case $a in --draft=false) echo false >"$rel/draft" ;; *) echo "fake gh: flag $a is not modelled" >&2; exit 2 ;; esac; done ;;
*) echo "fake gh: release $cmd is not modelled" >&2; exit 2 ;;
esac
`

// TestReleaseRerunPublishesADraft: gh creates a release with assets as a
// draft and publishes it after the last upload (cli/cli
// pkg/cmd/release/create/create.go, draftWhileUploading), so a run stopped
// during the upload leaves a draft with some assets. The rerun must upload
// them all and publish it: a draft's assets cannot be downloaded by the
// action. gh needs GitHub, so fakeGH stands in for it.
func TestReleaseRerunPublishesADraft(t *testing.T) {
	script := releaseStep(t, "Create the GitHub release with the archives")
	work, bin, state := t.TempDir(), t.TempDir(), t.TempDir()
	writeFile := func(path, content string, mode os.FileMode) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	writeFile(filepath.Join(bin, "gh"), fakeGH, 0o755)
	want := map[string]string{
		"winbake_1.4.2_linux_amd64.tar.gz": "linux archive",
		"winbake_1.4.2_windows_amd64.zip":  "windows archive",
		"checksums.txt":                    "0123  winbake_1.4.2_linux_amd64.tar.gz\n4567  winbake_1.4.2_windows_amd64.zip\n",
	}
	for name, content := range want {
		dir := "dist"
		if name == "checksums.txt" {
			dir = "release"
		}
		writeFile(filepath.Join(work, dir, name), content, 0o644)
	}
	// The earlier run: a draft holding half of one archive.
	release := filepath.Join(state, "v1.4.2")
	writeFile(filepath.Join(release, "draft"), "true\n", 0o644)
	writeFile(filepath.Join(release, "assets", "winbake_1.4.2_linux_amd64.tar.gz"), "linux", 0o644)

	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = work
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"VERSION=v1.4.2", "RUNNER_TEMP="+t.TempDir(), "FAKE_GH_STATE="+state)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rerunning the release step: %v\n%s", err, out)
	}

	if draft := string(must(os.ReadFile(filepath.Join(release, "draft")))); draft != "false\n" {
		t.Errorf("the release is still a draft after the rerun (draft: %q)", draft)
	}
	entries, err := os.ReadDir(filepath.Join(release, "assets"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(want) {
		t.Errorf("the release has %d assets, want %d", len(entries), len(want))
	}
	for name, content := range want {
		got, err := os.ReadFile(filepath.Join(release, "assets", name))
		if err != nil || string(got) != content {
			t.Errorf("asset %s: %q, %v; want the built file %q", name, got, err, content)
		}
	}
}
