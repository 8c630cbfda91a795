// Package testenv finds the real tools that tests run against. A missing
// tool fails the test with the command that installs it; it never skips.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
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
	return filepath.Join(filepath.Dir(file), "..", "..")
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
