package action

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// entrypoint runs the copy's entrypoint.sh with env and PATH path.
func entrypoint(t *testing.T, dir, path string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, "entrypoint.sh"))
	cmd.Env = append(os.Environ(), append([]string{"PATH=" + path, "GITHUB_WORKSPACE=" + t.TempDir()}, env...)...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestSourceBuildKeyCoversEmbeddedFiles: without a release, the cached build
// is keyed by the source, and a change to a file the binary embeds (the
// default config, //go:embed default.yaml) must cause a rebuild. A stand-in
// go records each build and writes a binary that says it ran.
func TestSourceBuildKeyCoversEmbeddedFiles(t *testing.T) {
	dir := copyTree(t)
	stubs := t.TempDir()
	builds := filepath.Join(stubs, "builds")
	os.WriteFile(filepath.Join(stubs, "go"), []byte(`#!/bin/sh
[ "$1" = build ] || exit 1
while [ "$1" != -o ]; do shift; done
echo "$2" >>`+builds+`
printf '#!/bin/sh\necho "stub winbake $*"\n' >"$2"
chmod +x "$2"
`), 0o755)
	path := stubs + string(os.PathListSeparator) + pathWithoutGo(t)
	cache := "RUNNER_TOOL_CACHE=" + t.TempDir()

	for i, edit := range []func(){
		func() {},
		func() {}, // unchanged: reuses the first build
		func() {
			f := filepath.Join(dir, "internal", "config", "default.yaml")
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			os.WriteFile(f, append(b, "\n# changed\n"...), 0o644)
		},
	} {
		edit()
		out, err := entrypoint(t, dir, path, cache)
		if err != nil || !strings.Contains(out, "stub winbake action") {
			t.Fatalf("run %d: %v\n%s", i+1, err, out)
		}
	}
	b, _ := os.ReadFile(builds)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] == lines[1] {
		t.Errorf("builds: %q, want one before and one after changing default.yaml, at different keys", lines)
	}
}

// TestSourceBuildNamesTheGoVersion: setup-go's go-version-file reads the
// caller's repository, so the message must name the version from the
// action's go.mod.
func TestSourceBuildNamesTheGoVersion(t *testing.T) {
	dir := copyTree(t)
	b, _ := os.ReadFile(filepath.Join(dir, "go.mod"))
	var goVersion string
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			goVersion = v
		}
	}
	out, err := entrypoint(t, dir, pathWithoutGo(t), "RUNNER_TOOL_CACHE="+t.TempDir(), "GITHUB_ACTION_REF=main")
	want := `::error title=winbake::Go ` + goVersion + ` or newer is needed to build winbake from source (ref main has no release): add actions/setup-go with go-version: "` + goVersion + `"`
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("%v\n%s\nwant %s", err, out, want)
	}
}

// TestReleaseForAnUnknownPlatform: RUNNER_ARCH can be X86 or ARM (GitHub
// docs, "Variables reference"), for which there is no release.
func TestReleaseForAnUnknownPlatform(t *testing.T) {
	dir := copyTree(t)
	os.MkdirAll(filepath.Join(dir, "release"), 0o755)
	os.WriteFile(filepath.Join(dir, "release", "version"), []byte("v1.4.2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "release", "checksums.txt"), []byte(strings.Repeat("0", 64)+"  winbake_1.4.2_linux_amd64.tar.gz\n"), 0o644)
	out, err := entrypoint(t, dir, os.Getenv("PATH"), "RUNNER_TOOL_CACHE="+t.TempDir(), "RUNNER_OS=Linux", "RUNNER_ARCH=ARM", "WINBAKE_RELEASE_BASE_URL=http://127.0.0.1:1")
	want := "::error title=winbake::winbake v1.4.2 has no release for linux/unknown (Linux/ARM)"
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("%v\n%s\nwant %s", err, out, want)
	}
}
