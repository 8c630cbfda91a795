// Package testenv finds the real tools that tests run against. A missing
// tool fails the test with the command that installs it; it never skips.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// ToolsDir is where scripts/tools.sh installs the test tools.
func ToolsDir() string {
	if d := os.Getenv("WINBAKE_TOOLS"); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "winbake", "tools")
}

// RepoRoot is the root of this repository.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// Binary returns the path of a tool installed by scripts/tools.sh (or on
// PATH), failing the test when it is missing.
func Binary(t testing.TB, name string) string {
	t.Helper()
	if p := filepath.Join(ToolsDir(), "bin", name); isExec(p) {
		return p
	}
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	t.Fatalf("%s is not installed; run: bash scripts/tools.sh (or scripts/test.sh, which installs every tool the tests need)", name)
	return ""
}

// PowerShellGrammar returns the folder holding the tree-sitter PowerShell
// grammar, failing the test when it is missing.
func PowerShellGrammar(t testing.TB) string {
	t.Helper()
	d := filepath.Join(ToolsDir(), "tree-sitter")
	if _, err := os.Stat(filepath.Join(d, "node_modules", "tree-sitter-powershell", "tree-sitter-powershell.wasm")); err != nil {
		t.Fatalf("the tree-sitter PowerShell grammar is not installed in %s; run: bash scripts/tools.sh powershell_grammar", d)
	}
	return d
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Git runs git in dir as a developer would (author Dev <dev@example.com>)
// and returns its trimmed output, failing the test on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

// Origin makes the bare repository a clone pushes to, with one commit of
// files (path → content) on main, and returns it and that clone.
func Origin(t testing.TB, files map[string]string) (bare, work string) {
	t.Helper()
	root := t.TempDir()
	bare = filepath.Join(root, "origin.git")
	work = filepath.Join(root, "work")
	Git(t, root, "init", "--quiet", "--bare", "-b", "main", bare)
	Git(t, root, "clone", "--quiet", bare, work)
	for name, content := range files {
		if err := os.MkdirAll(filepath.Join(work, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(work, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	Git(t, work, "add", ".")
	Git(t, work, "commit", "--quiet", "-m", "infra")
	Git(t, work, "push", "--quiet", "origin", "main")
	return bare, work
}

// Golden compares got with the file at path, or rewrites the file when
// update is set (go test -update).
func Golden(t testing.TB, path string, got []byte, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from its golden file (-want +got); if intended, rerun with -update:\n%s", path, diff)
	}
}

// GoBuild builds a package of this repository ("./cmd/...") into out.
func GoBuild(t testing.TB, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}
