package action

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/release"
)

// entrypoint runs the copy's entrypoint.sh with env and PATH path.
func entrypoint(t *testing.T, dir, path string, env ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", filepath.Join(dir, "entrypoint.sh"))
	cmd.Env = append(os.Environ(), append([]string{"PATH=" + path, "GITHUB_WORKSPACE=" + t.TempDir(), "RUNNER_TEMP=" + t.TempDir()}, env...)...)
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

// TestAnnotationEscaped: a workflow command's message escapes %, CR and LF
// (actions/toolkit, packages/core/src/command.ts, escapeData); a raw newline
// in a value the message names would end the annotation and start another
// workflow command.
func TestAnnotationEscaped(t *testing.T) {
	dir := copyTree(t)
	os.MkdirAll(filepath.Join(dir, "release"), 0o755)
	os.WriteFile(filepath.Join(dir, "release", "version"), []byte("v1.4.2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "release", "checksums.txt"), []byte(strings.Repeat("0", 64)+"  winbake_1.4.2_linux_amd64.tar.gz\n"), 0o644)
	out, err := entrypoint(t, dir, os.Getenv("PATH"), "RUNNER_TOOL_CACHE="+t.TempDir(), "RUNNER_OS=Linux", "RUNNER_ARCH=ARM 100%\r\n::warning::planted")
	want := "::error title=winbake::winbake v1.4.2 has no release for linux/unknown (Linux/ARM 100%25%0D%0A::warning::planted)"
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("%v\n%s\nwant %s", err, out, want)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "::warning::") {
			t.Errorf("the message started another workflow command: %q", line)
		}
	}
}

// fakeRelease gives a copy of the tree release/ pins for v1.4.2 on
// linux/amd64, whose binaries are shell scripts that print "genuine
// winbake"; the archive is served from a file:// URL (curl reads those).
func fakeRelease(t *testing.T) (dir, baseURL string) {
	t.Helper()
	dir = copyTree(t)
	bins := t.TempDir()
	name := "winbake_1.4.2_linux_amd64"
	var binaries strings.Builder
	for _, b := range []string{"winbake", "packer-plugin-winbake"} {
		p := filepath.Join(bins, b)
		os.WriteFile(p, []byte("#!/bin/sh\necho \"genuine "+b+" $*\"\n"), 0o755)
		fmt.Fprintf(&binaries, "%s  %s/%s\n", sha256File(t, p), name, b)
	}
	srv := t.TempDir()
	asset := filepath.Join(srv, "v1.4.2", name+".tar.gz")
	os.MkdirAll(filepath.Dir(asset), 0o755)
	if err := release.Write(asset, []string{filepath.Join(bins, "winbake"), filepath.Join(bins, "packer-plugin-winbake")}); err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(filepath.Join(dir, "release"), 0o755)
	os.WriteFile(filepath.Join(dir, "release", "version"), []byte("v1.4.2\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "release", "checksums.txt"), []byte(sha256File(t, asset)+"  "+name+".tar.gz\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "release", "binaries.txt"), []byte(binaries.String()), 0o644)
	return dir, "file://" + srv
}

// TestReleaseRunsTheCopyItChecked: the tool cache is shared by the jobs of
// a self-hosted runner, so a file there can change between its check and
// its run. A stand-in sha256sum swaps the cached winbake right after
// hashing it; what runs must still be the checked bytes.
func TestReleaseRunsTheCopyItChecked(t *testing.T) {
	dir, base := fakeRelease(t)
	toolCache := t.TempDir()
	cached := filepath.Join(toolCache, "winbake", "1.4.2", "linux-amd64", "winbake")
	real, err := exec.LookPath("sha256sum")
	if err != nil {
		t.Fatal(err)
	}
	stubs := t.TempDir()
	os.WriteFile(filepath.Join(stubs, "sha256sum"), []byte(`#!/bin/sh
`+real+` "$@" && { [ ! -f '`+cached+`' ] || printf '#!/bin/sh\necho planted winbake ran\n' >'`+cached+`'; }
`), 0o755)
	path := stubs + string(os.PathListSeparator) + os.Getenv("PATH")
	for i := 1; i <= 2; i++ { // a cold tool cache, then a warm one
		out, err := entrypoint(t, dir, path, "RUNNER_TOOL_CACHE="+toolCache, "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WINBAKE_RELEASE_BASE_URL="+base)
		if i == 1 && (err != nil || !strings.Contains(out, "genuine winbake action") || strings.Contains(out, "planted")) {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
		// The second run checks the file the first run's swap left: refused.
		if i == 2 && (err == nil || !strings.Contains(out, "Refusing to run it") || strings.Contains(out, "planted winbake ran")) {
			t.Fatalf("run %d: %v\n%s", i, err, out)
		}
	}
}

// TestSourceBuildCacheIsTheUsers: outside a runner (no RUNNER_TOOL_CACHE)
// the source build is cached in the user's own cache, not in a shared
// TMPDIR where another user could leave a binary at its predictable path.
func TestSourceBuildCacheIsTheUsers(t *testing.T) {
	dir := copyTree(t)
	stubs := t.TempDir()
	os.WriteFile(filepath.Join(stubs, "go"), []byte(`#!/bin/sh
[ "$1" = build ] || exit 1
while [ "$1" != -o ]; do shift; done
printf '#!/bin/sh\necho "winbake built by %s"\n' "$BUILDER" >"$2"
chmod +x "$2"
`), 0o755)
	path := stubs + string(os.PathListSeparator) + pathWithoutGo(t)
	shared := t.TempDir()
	for _, user := range []string{"mallory", "alice"} {
		out, err := entrypoint(t, dir, path, "RUNNER_TOOL_CACHE=", "XDG_CACHE_HOME=", "TMPDIR="+shared, "HOME="+t.TempDir(), "BUILDER="+user)
		if err != nil || !strings.Contains(out, "winbake built by "+user) {
			t.Fatalf("%s's run: %v\n%s", user, err, out)
		}
	}
}

// TestPackerBuilderFoundInConfig: with no builder input, the config's
// builder decides whether the Packer plugin is installed: a quoted YAML
// scalar ("packer") is the same value, and an absolute Windows path
// (another step's output on a Windows runner, C:\...) is not under the
// workspace. Git Bash reads C:\... paths as they are; here the path is a
// file of that name in the action's directory, where entrypoint.sh runs.
func TestPackerBuilderFoundInConfig(t *testing.T) {
	dir, base := fakeRelease(t)
	stubs := t.TempDir()
	log := filepath.Join(stubs, "packer.log")
	os.WriteFile(filepath.Join(stubs, "packer"), []byte("#!/bin/sh\necho \"$*\" >>'"+log+"'\n"), 0o755)
	path := stubs + string(os.PathListSeparator) + os.Getenv("PATH")
	winPath := `C:\a\infra\winbake.yaml`
	os.WriteFile(filepath.Join(dir, winPath), []byte("builder: packer\n"), 0o644)
	for _, c := range []struct{ name, config, input string }{
		{"quoted", "builder: \"packer\"\n", ""},
		{"single-quoted", "builder: 'packer'  # Packer\n", ""},
		{"windows path", "", winPath},
	} {
		t.Run(c.name, func(t *testing.T) {
			os.Remove(log)
			ws := t.TempDir()
			os.MkdirAll(filepath.Join(ws, ".github"), 0o755)
			os.WriteFile(filepath.Join(ws, ".github", "winbake.yaml"), []byte(c.config), 0o644)
			out, err := entrypoint(t, dir, path, "RUNNER_TOOL_CACHE="+t.TempDir(), "RUNNER_OS=Linux", "RUNNER_ARCH=X64",
				"WINBAKE_RELEASE_BASE_URL="+base, "GITHUB_WORKSPACE="+ws, "INPUT_CONFIG="+c.input)
			if err != nil || !strings.Contains(out, "genuine winbake action") {
				t.Fatalf("%v\n%s", err, out)
			}
			if b, _ := os.ReadFile(log); !strings.Contains(string(b), "plugins install --path ") {
				t.Errorf("the Packer plugin was not installed (packer got %q)", b)
			}
		})
	}
}

// TestStalledDownloadIsRetried: a download that stops sending (a stalled
// connection to the release's storage) must not hold the step until the
// job's timeout: curl gives it up and tries again. Here the first request
// stalls after a few bytes and the second is answered.
func TestStalledDownloadIsRetried(t *testing.T) {
	dir, base := fakeRelease(t)
	files := strings.TrimPrefix(base, "file://")
	var mu sync.Mutex
	requests := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		n := requests
		mu.Unlock()
		if n == 1 {
			w.Write([]byte("stall"))
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		http.ServeFile(w, r, filepath.Join(files, filepath.FromSlash(r.URL.Path)))
	}))
	defer srv.Close()
	defer close(release) // before Close, which waits for the stalled handler

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(dir, "entrypoint.sh"))
	cmd.Env = append(os.Environ(), "GITHUB_WORKSPACE="+t.TempDir(), "RUNNER_TEMP="+t.TempDir(), "RUNNER_TOOL_CACHE="+t.TempDir(),
		"RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WINBAKE_RELEASE_BASE_URL="+srv.URL)
	cmd.WaitDelay = 5 * time.Second // curl, left behind, holds the output open
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("entrypoint.sh still waited on the stalled download after 45 s:\n%s", out)
	}
	if err != nil || !strings.Contains(string(out), "genuine winbake action") {
		t.Errorf("%v\n%s", err, out)
	}
}
