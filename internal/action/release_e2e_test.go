package action

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/winbake/winbake/internal/release"
	"github.com/winbake/winbake/internal/testing/testenv"
)

const e2eVersion = "v1.0.0-e2e"

// releasedAction is a copy of this tree as the release workflow tags it:
// scripts/release.sh has built the host's archive into dist/ (moved out of
// the tree, to be served) and written release/ into the tree.
type releasedAction struct {
	dir, dist string
	asset     string // the host's archive name
}

func newReleasedAction(t *testing.T) *releasedAction {
	t.Helper()
	dir := copyTree(t)
	cmd := exec.Command("bash", "scripts/release.sh", e2eVersion)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WINBAKE_RELEASE_TARGETS="+runtime.GOOS+"/"+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	dist := filepath.Join(t.TempDir(), "dist")
	if err := os.Rename(filepath.Join(dir, "dist"), dist); err != nil {
		t.Fatal(err)
	}
	return &releasedAction{dir: dir, dist: dist,
		asset: fmt.Sprintf("winbake_%s_%s_%s.tar.gz", strings.TrimPrefix(e2eVersion, "v"), runtime.GOOS, runtime.GOARCH)}
}

// copyTree copies the repository's files (tracked and new, not ignored).
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	cmd := exec.Command("bash", "-c", `git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$1"`, "copy", dst)
	cmd.Dir = testenv.RepoRoot()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("copying the tree: %v\n%s", err, out)
	}
	os.RemoveAll(filepath.Join(dst, "release"))
	return dst
}

// releaseServer serves release assets as GitHub does, at
// /<version>/<asset>, and counts the downloads. replace swaps an asset's bytes.
type releaseServer struct {
	*httptest.Server
	mu        sync.Mutex
	downloads int
	replace   map[string][]byte
}

func serveRelease(t *testing.T, dist string) *releaseServer {
	s := &releaseServer{replace: map[string][]byte{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		version, name, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		s.mu.Lock()
		s.downloads++
		b, ok := s.replace[name]
		s.mu.Unlock()
		if !ok {
			var err error
			if b, err = os.ReadFile(filepath.Join(dist, filepath.Base(name))); err != nil || version != e2eVersion {
				http.NotFound(w, r)
				return
			}
		}
		w.Write(b)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *releaseServer) count() int { s.mu.Lock(); defer s.mu.Unlock(); return s.downloads }

// pathWithoutGo is PATH without the directories that hold a go binary: the
// runner of a released action needs none.
func pathWithoutGo(t *testing.T) string {
	var keep []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := os.Stat(filepath.Join(d, "go")); err == nil {
			continue
		}
		keep = append(keep, d)
	}
	p := strings.Join(keep, string(os.PathListSeparator))
	cmd := exec.Command("bash", "-c", "command -v go")
	cmd.Env = append(os.Environ(), "PATH="+p)
	if out, err := cmd.Output(); err == nil {
		t.Fatalf("go is still on the PATH: %s", out)
	}
	return p
}

func sha256File(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// plantedBinary writes a shell script that leaves a marker when run: what
// an earlier job on a shared runner could leave at the tool cache path.
func plantedBinary(t *testing.T, path, marker string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte("#!/bin/sh\ntouch '"+marker+"'\n"), 0o755); err != nil {
		t.Fatal(err)
	}
}

// TestActionEndToEndRelease runs a workflow that uses winbake/winbake@v1,
// released by scripts/release.sh, in act with no Go on the PATH: the action
// downloads the host's archive over HTTP, checks it against the tree's
// release/checksums.txt, and runs it. Then a planted binary in the tool
// cache and a tampered download are both refused before anything runs.
func TestActionEndToEndRelease(t *testing.T) {
	act := testenv.Binary(t, "act")
	rel := newReleasedAction(t)
	srv := serveRelease(t, rel.dist)
	path := pathWithoutGo(t)
	actCache := t.TempDir()
	toolCache := filepath.Join(actCache, "tool_cache")
	cached := filepath.Join(toolCache, "winbake", strings.TrimPrefix(e2eVersion, "v"), runtime.GOOS+"-"+runtime.GOARCH, "winbake")
	base := map[string]string{"WINBAKE_RELEASE_BASE_URL": srv.URL}

	t.Run("released, cold tool cache, no Go", func(t *testing.T) {
		w := newWorld(t)
		out := t.TempDir()
		env := w.actEnv(t, out)
		for k, v := range base {
			env[k] = v
		}
		logs, err := runAct(t, act, rel.dir, "testdata/e2e.yml", env, path, actCache)
		if err != nil {
			t.Fatalf("act: %v\n%s", err, logs)
		}
		w.checkBaked(t, out, logs)
		if !strings.Contains(logs, "Downloading winbake "+e2eVersion+" ("+rel.asset+")") || strings.Contains(logs, "Building winbake") {
			t.Errorf("the action did not run the downloaded release:\n%s", logs)
		}
		if srv.count() != 1 {
			t.Errorf("%d downloads, want 1", srv.count())
		}
		if got, want := sha256File(t, cached), pinnedSum(t, rel.dir, "binaries.txt", strings.TrimSuffix(rel.asset, ".tar.gz")+"/winbake"); got != want {
			t.Errorf("cached winbake %s, release/binaries.txt pins %s", got, want)
		}
	})

	// builder: packer installs the plugin from the same archive, checked
	// like winbake; entrypoint.sh runs directly here, with the real Packer.
	t.Run("packer plugin from the release", func(t *testing.T) {
		packer := testenv.Binary(t, "packer")
		plugins := t.TempDir()
		run := func() (string, error) {
			return entrypoint(t, rel.dir, filepath.Dir(packer)+string(os.PathListSeparator)+path,
				"RUNNER_TOOL_CACHE="+toolCache, "WINBAKE_RELEASE_BASE_URL="+srv.URL, "INPUT_BUILDER=packer", "INPUT_COMMAND=measure",
				"PACKER_PLUGIN_PATH="+plugins, "PACKER_CHECKPOINT_DISABLE=1", "CHECKPOINT_DISABLE=1")
		}
		// An unknown command: winbake action stops once it has started.
		if out, err := run(); !strings.Contains(out, `"measure" is not a winbake command`) {
			t.Fatalf("winbake did not start: %v\n%s", err, out)
		}
		name := strings.TrimSuffix(rel.asset, ".tar.gz") + "/packer-plugin-winbake"
		installed, _ := filepath.Glob(filepath.Join(plugins, "github.com", "winbake", "winbake", "packer-plugin-winbake_v1.0.0-dev_x*_"+runtime.GOOS+"_"+runtime.GOARCH))
		if len(installed) != 1 || sha256File(t, installed[0]) != pinnedSum(t, rel.dir, "binaries.txt", name) {
			t.Fatalf("installed plugins %v, want the release's", installed)
		}

		cachedPlugin := filepath.Join(filepath.Dir(cached), "packer-plugin-winbake")
		marker := filepath.Join(t.TempDir(), "ran")
		plantedBinary(t, cachedPlugin, marker)
		out, err := run()
		if err == nil || !strings.Contains(out, "is not the "+name+" of winbake "+e2eVersion) || strings.Contains(out, "is not a winbake command") {
			t.Errorf("a planted plugin was not refused before winbake ran: %v\n%s", err, out)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Error("the planted plugin ran")
		}
		if srv.count() != 1 {
			t.Errorf("%d downloads, want 1 (the cache was warm)", srv.count())
		}
		os.RemoveAll(filepath.Dir(cached))
	})

	t.Run("planted binary in the tool cache is refused", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "ran")
		plantedBinary(t, cached, marker)
		downloads := srv.count()
		logs, err := runAct(t, act, rel.dir, "testdata/e2e-release-refused.yml", base, path, actCache)
		if err == nil {
			t.Fatalf("act succeeded with a planted binary:\n%s", logs)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("the planted binary ran")
		}
		want := "is not the " + strings.TrimSuffix(rel.asset, ".tar.gz") + "/winbake of winbake " + e2eVersion + ": its sha256 is " + sha256File(t, cached) +
			", release/binaries.txt of the action pins " + pinnedSum(t, rel.dir, "binaries.txt", strings.TrimSuffix(rel.asset, ".tar.gz")+"/winbake")
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
		if srv.count() != downloads {
			t.Errorf("%d downloads, want none: a cached binary is checked, not replaced", srv.count()-downloads)
		}
	})

	t.Run("tampered download is refused", func(t *testing.T) {
		os.RemoveAll(filepath.Join(toolCache, "winbake"))
		marker := filepath.Join(t.TempDir(), "ran")
		d := t.TempDir()
		plantedBinary(t, filepath.Join(d, "winbake"), marker)
		plantedBinary(t, filepath.Join(d, "packer-plugin-winbake"), marker)
		tampered := filepath.Join(d, rel.asset)
		if err := release.Write(tampered, []string{filepath.Join(d, "winbake"), filepath.Join(d, "packer-plugin-winbake")}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(tampered)
		srv.mu.Lock()
		srv.replace[rel.asset] = b
		srv.mu.Unlock()

		logs, err := runAct(t, act, rel.dir, "testdata/e2e-release-refused.yml", base, path, actCache)
		if err == nil {
			t.Fatalf("act succeeded with a tampered asset:\n%s", logs)
		}
		if _, err := os.Stat(marker); err == nil {
			t.Fatal("the tampered asset's binary ran")
		}
		want := rel.asset + " from " + srv.URL + "/" + e2eVersion + "/" + rel.asset + " has sha256 " + sha256File(t, tampered) +
			", but release/checksums.txt of the action pins " + pinnedSum(t, rel.dir, "checksums.txt", rel.asset) + ". Refusing to run it."
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
		if _, err := os.Stat(cached); err == nil {
			t.Error("the tampered asset was unpacked into the tool cache")
		}
	})
}

// pinnedSum is the sha256 that the action's release/LIST gives NAME.
func pinnedSum(t *testing.T, dir, list, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "release", list))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if sum, n, ok := strings.Cut(line, "  "); ok && n == name {
			return sum
		}
	}
	t.Fatalf("release/%s has no %s:\n%s", list, name, b)
	return ""
}
