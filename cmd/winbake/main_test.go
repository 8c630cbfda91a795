package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/pipeline"
)

// runIn runs winbake in dir and returns stdout, stderr and the error.
func runIn(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	return runOn(t, pipeline.System(os.Getenv), dir, args...)
}

// runOn runs winbake on a host, such as one with simulated time.
func runOn(t *testing.T, host pipeline.Host, dir string, args ...string) (string, string, error) {
	t.Helper()
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), host, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestHelpListsCommands(t *testing.T) {
	out, _, err := runIn(t, t.TempDir(), "--help")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range commands() {
		if !strings.Contains(out, "\n  "+c.name+" ") {
			t.Errorf("--help does not list %s:\n%s", c.name, out)
		}
	}
}

func TestUnknownCommand(t *testing.T) {
	_, stderr, err := runIn(t, t.TempDir(), "bakee")
	if err == nil || !strings.Contains(err.Error(), `unknown command "bakee"`) || !strings.Contains(stderr, "Commands:") {
		t.Errorf("err = %v, stderr = %s", err, stderr)
	}
}

func TestRenderDefault(t *testing.T) {
	dir := t.TempDir()
	out, stderr, err := runIn(t, dir, "render")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr, "embedded default") {
		t.Errorf("stderr does not say the default is used: %q", stderr)
	}
	doc, err := os.ReadFile(filepath.Join(dir, "out", "windows-2022-core", "component.yaml"))
	if err != nil {
		t.Fatalf("%v; stdout: %s", err, out)
	}
	if !strings.Contains(string(doc), "mcr.microsoft.com/dotnet/framework/aspnet:4.8.1-windowsservercore-ltsc2022") {
		t.Errorf("component does not cache the default's ASP.NET image:\n%s", doc)
	}
}

func TestRenderBadConfigWritesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n    cache: [\"foo bar\"]\n    volumeSise: 80\n"
	if err := os.WriteFile(filepath.Join(dir, "winbake.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runIn(t, dir, "render", "-o", "rendered")
	want := []string{
		`winbake.yaml:6:13: images[0].cache[0]: "foo bar" is not an image reference`,
		`winbake.yaml:7:5: images[0].volumeSise: unknown field "volumeSise"; did you mean "volumeSize"?`,
	}
	if err == nil {
		t.Fatal("render accepted a bad config")
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "rendered")); !os.IsNotExist(err) {
		t.Errorf("render wrote output despite the error (stat: %v)", err)
	}
}

func TestRenderMissingConfig(t *testing.T) {
	_, _, err := runIn(t, t.TempDir(), "render", "-c", "nope.yaml")
	if err == nil || !strings.Contains(err.Error(), "config file nope.yaml does not exist") {
		t.Errorf("err = %v", err)
	}
}

// TestSynopsisNamesEveryFlag keeps each command's usage line, the one the
// README's command table copies, in step with the flags it defines.
func TestSynopsisNamesEveryFlag(t *testing.T) {
	for _, c := range commands() {
		_, stderr, err := runIn(t, t.TempDir(), c.name, "-h")
		if err != nil {
			t.Fatalf("%s -h: %v", c.name, err)
		}
		synopsis, flags, _ := strings.Cut(stderr, "\n")
		for _, line := range strings.Split(flags, "\n") {
			if !strings.HasPrefix(line, "  -") {
				continue
			}
			name := strings.Fields(line)[0][1:]
			if !strings.Contains(synopsis, "-"+name+" ") && !strings.Contains(synopsis, "-"+name+"]") {
				t.Errorf("%s -h: usage line %q does not name -%s", c.name, synopsis, name)
			}
		}
	}
}

// A command without flags says so by listing none, not by an empty heading.
func TestHelpWithoutFlags(t *testing.T) {
	_, stderr, err := runIn(t, t.TempDir(), "version", "-h")
	if err != nil {
		t.Fatal(err)
	}
	if stderr != "Usage: winbake version\n" {
		t.Errorf("version -h printed %q", stderr)
	}
}

// TestREADMECommandTable: the README's command table shows each command
// with the usage line -h prints, and lists no command winbake lacks.
func TestREADMECommandTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(string(readme), "\n") {
		if rest, ok := strings.CutPrefix(line, "| `winbake "); ok {
			name, _, _ := strings.Cut(rest, " ")
			rows[strings.TrimSuffix(strings.Fields(name)[0], "`")] = true
		}
	}
	for _, c := range commands() {
		_, stderr, err := runIn(t, t.TempDir(), c.name, "-h")
		if err != nil {
			t.Fatal(err)
		}
		synopsis, _, _ := strings.Cut(stderr, "\n")
		usage := strings.TrimPrefix(synopsis, "Usage: ")
		if want := "| `" + strings.ReplaceAll(usage, "|", `\|`) + "` |"; !strings.Contains(string(readme), want) {
			t.Errorf("README's command table lacks %s", want)
		}
		delete(rows, c.name)
	}
	for name := range rows {
		t.Errorf("README's command table lists winbake %s, which is no command", name)
	}
}

// Config errors print as the README shows them: every line starts with
// file:line:col, the first too, so editors can jump to each.
func TestConfigErrorsPrintAsFileLineCol(t *testing.T) {
	dir := t.TempDir()
	cfg := "images:\n  - name: win\n    kubernetes: 1.30\n    windows: 2022-core\n    regions: [us-east-1]\n    volumeSise: 80\n"
	if err := os.WriteFile(filepath.Join(dir, "winbake.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runIn(t, dir, "render")
	var b strings.Builder
	printError(&b, err)
	for _, line := range strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n") {
		if !strings.HasPrefix(line, "winbake.yaml:") {
			t.Errorf("line %q does not start with file:line:col; all:\n%s", line, b.String())
		}
	}
	b.Reset()
	printError(&b, errors.New("no AWS credentials"))
	if b.String() != "winbake: no AWS credentials\n" {
		t.Errorf("other errors print as %q", b.String())
	}
}

// Every flag that takes a value shows a placeholder that says what it is,
// not Go's type name.
func TestFlagPlaceholders(t *testing.T) {
	for _, c := range commands() {
		_, stderr, _ := runIn(t, t.TempDir(), c.name, "-h")
		for _, line := range strings.Split(stderr, "\n") {
			if f := strings.Fields(line); strings.HasPrefix(line, "  -") && len(f) > 1 && (f[1] == "string" || f[1] == "int" || f[1] == "value") {
				t.Errorf("%s -h: %q shows a type, not what to give", c.name, line)
			}
		}
	}
}
