// Package scripts tests the shell scripts that build releases and install
// the test tools.
package scripts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/testenv"
)

// copyTree copies the repository's files (tracked and new, not ignored) to
// a temporary directory, so that scripts writing into the tree leave the
// checkout alone.
func copyTree(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	root := testenv.RepoRoot()
	files := strings.Split(testenv.Git(t, root, "ls-files", "-co", "--exclude-standard"), "\n")
	for _, f := range files {
		if f == "" || strings.HasPrefix(f, "release/") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the work tree
		}
		if err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(filepath.Join(root, f))
		os.MkdirAll(filepath.Join(dst, filepath.Dir(f)), 0o755)
		if err := os.WriteFile(filepath.Join(dst, f), b, st.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func runRelease(t *testing.T, dir, version string) {
	t.Helper()
	cmd := exec.Command("bash", "scripts/release.sh", version)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "WINBAKE_RELEASE_TARGETS="+runtime.GOOS+"/"+runtime.GOARCH+" windows/amd64")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
}

func sha(t *testing.T, path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestReleaseIsReproducible runs release.sh twice, from two copies of the
// tree at different paths (a path or a clock reaching the bytes would
// show), and checks the archives are identical and the pins match them.
func TestReleaseIsReproducible(t *testing.T) {
	a, b := copyTree(t), copyTree(t)
	runRelease(t, a, "v1.4.2")
	runRelease(t, b, "v1.4.2")

	host := fmt.Sprintf("winbake_1.4.2_%s_%s.tar.gz", runtime.GOOS, runtime.GOARCH)
	assets := []string{host, "winbake_1.4.2_windows_amd64.zip"}
	var want strings.Builder
	for _, name := range assets {
		x, y := sha(t, filepath.Join(a, "dist", name)), sha(t, filepath.Join(b, "dist", name))
		if x != y {
			t.Errorf("%s differs between two runs: %s, %s", name, x, y)
		}
		fmt.Fprintf(&want, "%s  %s\n", x, name)
	}
	got, _ := os.ReadFile(filepath.Join(a, "release", "checksums.txt"))
	if string(got) != want.String() {
		t.Errorf("release/checksums.txt:\n%s\nwant:\n%s", got, want.String())
	}
	if v, _ := os.ReadFile(filepath.Join(a, "release", "version")); string(v) != "v1.4.2\n" {
		t.Errorf("release/version: %q", v)
	}
	for _, f := range []string{"checksums.txt", "binaries.txt"} {
		x, _ := os.ReadFile(filepath.Join(a, "release", f))
		y, _ := os.ReadFile(filepath.Join(b, "release", f))
		if !bytes.Equal(x, y) {
			t.Errorf("release/%s differs between two runs:\n%s\n%s", f, x, y)
		}
	}

	// The binaries inside are the ones binaries.txt pins, and carry the version.
	unpacked := t.TempDir()
	if out, err := exec.Command("tar", "-xzf", filepath.Join(a, "dist", host), "-C", unpacked).CombinedOutput(); err != nil {
		t.Fatalf("tar: %v\n%s", err, out)
	}
	bins, _ := os.ReadFile(filepath.Join(a, "release", "binaries.txt"))
	prefix := strings.TrimSuffix(host, ".tar.gz")
	for _, f := range []string{"winbake", "packer-plugin-winbake"} {
		line := sha(t, filepath.Join(unpacked, f)) + "  " + prefix + "/" + f + "\n"
		if !strings.Contains(string(bins), line) {
			t.Errorf("release/binaries.txt has no line %q:\n%s", line, bins)
		}
	}
	for _, f := range []string{"winbake.exe", "packer-plugin-winbake.exe"} {
		if !strings.Contains(string(bins), "  winbake_1.4.2_windows_amd64/"+f+"\n") {
			t.Errorf("release/binaries.txt lists no windows %s:\n%s", f, bins)
		}
	}
	if out, _ := exec.Command(filepath.Join(unpacked, "winbake"), "version").CombinedOutput(); !strings.Contains(string(out), "v1.4.2") {
		t.Errorf("winbake version: %s", out)
	}
	if out, _ := exec.Command(filepath.Join(unpacked, "packer-plugin-winbake"), "describe").CombinedOutput(); !strings.Contains(string(out), `"version":"1.4.2"`) {
		t.Errorf("packer-plugin-winbake describe: %s", out)
	}
}

func TestReleaseRefusesABadVersion(t *testing.T) {
	for _, v := range []string{"", "1.4.2", "v1.4", "v1.4.2; rm -rf /"} {
		cmd := exec.Command("bash", "scripts/release.sh", v)
		cmd.Dir = testenv.RepoRoot()
		out, err := cmd.CombinedOutput()
		if err == nil || !strings.Contains(string(out), "usage: scripts/release.sh vMAJOR.MINOR.PATCH") {
			t.Errorf("release.sh %q: %v\n%s", v, err, out)
		}
	}
}

// TestToolsUseSudoWhenNotRoot: hosted GitHub runners run jobs as a user
// with passwordless sudo (GitHub docs, "GitHub-hosted runners": "passwordless
// sudo"), so every apt-get in tools.sh must go through sudo there.
func TestToolsUseSudoWhenNotRoot(t *testing.T) {
	for _, uid := range []string{"1001", "0"} {
		stubs := t.TempDir()
		log := filepath.Join(stubs, "log")
		stub := func(name, body string) {
			os.WriteFile(filepath.Join(stubs, name), []byte("#!/bin/sh\n"+body+"\n"), 0o755)
		}
		stub("id", "echo "+uid)
		stub("sudo", `echo "sudo $*" >>`+log+`; exec "$@"`)
		stub("apt-get", `echo "apt-get $*" >>`+log)
		cmd := exec.Command("bash", "-c", `. scripts/tools.sh && as_root apt-get update -qq`)
		cmd.Dir = testenv.RepoRoot()
		cmd.Env = append(os.Environ(), "PATH="+stubs+":"+os.Getenv("PATH"), "WINBAKE_TOOLS="+t.TempDir())
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("uid %s: %v\n%s", uid, err, out)
		}
		got, _ := os.ReadFile(log)
		want := "sudo apt-get update -qq\napt-get update -qq\n"
		if uid == "0" {
			want = "apt-get update -qq\n"
		}
		if string(got) != want {
			t.Errorf("uid %s ran:\n%swant:\n%s", uid, got, want)
		}
	}

	// Every command that needs root goes through as_root.
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "scripts", "tools.sh"))
	if err != nil {
		t.Fatal(err)
	}
	needsRoot := regexp.MustCompile(`(^|[^\w-])(apt-get|dpkg|systemctl|service|useradd) `)
	viaRoot := regexp.MustCompile(`as_root (env DEBIAN_FRONTEND=\S+ )?(apt-get|dpkg|systemctl|service|useradd) `)
	for i, line := range strings.Split(string(src), "\n") {
		code := strings.TrimSpace(line)
		if strings.HasPrefix(code, "#") {
			continue
		}
		if n, v := len(needsRoot.FindAllString(code, -1)), len(viaRoot.FindAllString(code, -1)); n != v {
			t.Errorf("scripts/tools.sh:%d: runs a root-only command without as_root: %s", i+1, code)
		}
	}
}

// TestReleaseIgnoresTheCallersGoSettings: GOFLAGS, GOAMD64, GOEXPERIMENT
// and the like change the binaries (cmd/go records them in the build info),
// whether exported or written by `go env -w`; the release's bytes must not
// depend on the release manager's shell. A stand-in go records the
// settings each binary of the release would be built with.
func TestReleaseIgnoresTheCallersGoSettings(t *testing.T) {
	dir := copyTree(t)
	real, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	stubs := t.TempDir()
	log := filepath.Join(stubs, "settings")
	os.WriteFile(filepath.Join(stubs, "go"), []byte(`#!/bin/sh
case "$*" in
*./cmd/*)
	"`+real+`" env GOFLAGS GOAMD64 GOEXPERIMENT GOFIPS140 GOVERSION >>'`+log+`'
	while [ "$1" != -o ]; do shift; done
	echo binary >"$2" ;;
*) exec "`+real+`" "$@" ;;
esac
`), 0o755)
	goenv := filepath.Join(stubs, "goenv")
	os.WriteFile(goenv, []byte("GOFLAGS=-tags=fromgoenvfile\n"), 0o644)
	cmd := exec.Command("bash", "scripts/release.sh", "v1.4.2")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PATH="+stubs+string(os.PathListSeparator)+os.Getenv("PATH"), "WINBAKE_RELEASE_TARGETS=linux/amd64",
		"GOENV="+goenv, "GOAMD64=v3", "GOEXPERIMENT=jsonv2", "GOFIPS140=latest")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release.sh: %v\n%s", err, out)
	}
	got, _ := os.ReadFile(log)
	goVersion := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(must(os.ReadFile(filepath.Join(dir, "go.mod"))))[1]
	want := strings.Repeat("\nv1\n\noff\ngo"+string(goVersion)+"\n", 2) // winbake, packer-plugin-winbake
	if string(got) != want {
		t.Errorf("go build ran with (GOFLAGS, GOAMD64, GOEXPERIMENT, GOFIPS140, GOVERSION):\n%s\nwant Go's defaults and go.mod's Go:\n%s", got, want)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
