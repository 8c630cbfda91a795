package imagecache

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// windowsArgv splits a command line as powershell.exe receives it:
// CommandLineToArgvW's rules ("Parsing C++ command-line arguments" in the
// Microsoft C++ docs): whitespace separates, double quotes group, 2n
// backslashes before a quote are n backslashes and the quote delimits, 2n+1
// are n backslashes and a literal quote; other backslashes are literal.
func windowsArgv(line string) []string {
	var args []string
	var cur strings.Builder
	inQuotes, started := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\':
			n := 0
			for i < len(line) && line[i] == '\\' {
				n++
				i++
			}
			if i < len(line) && line[i] == '"' {
				cur.WriteString(strings.Repeat(`\`, n/2))
				if n%2 == 1 {
					cur.WriteByte('"')
				} else {
					inQuotes = !inQuotes
				}
			} else {
				cur.WriteString(strings.Repeat(`\`, n))
				i--
			}
			started = true
		case c == '"':
			inQuotes, started = !inQuotes, true
		case (c == ' ' || c == '\t') && !inQuotes:
			if started {
				args = append(args, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteByte(c)
			started = true
		}
	}
	if started {
		args = append(args, cur.String())
	}
	return args
}

// scriptParam is a parameter of a script's param block, read from its
// syntax tree by scripts/pssyntax.cjs --params.
type scriptParam struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Range []int  `json:"range"`
}

func paramsOf(t *testing.T, script string) map[string]scriptParam {
	t.Helper()
	f := filepath.Join(t.TempDir(), "script.ps1")
	if err := os.WriteFile(f, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(testenv.RepoRoot(), "scripts", "pssyntax.cjs"), "--params", f)
	cmd.Env = append(os.Environ(), "PSGRAMMAR_DIR="+testenv.PowerShellGrammar(t))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("reading the script's parameters: %v\n%s", err, out)
	}
	var list []scriptParam
	if err := json.Unmarshal(out, &list); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	params := map[string]scriptParam{}
	for _, p := range list {
		params[strings.ToLower(p.Name)] = p
	}
	return params
}

// bindFile binds the arguments after "-File script" the way Windows
// PowerShell 5.1 does: each reaches the script as a literal string
// (about_PowerShell_exe: "parameters passed to the script are passed as
// literal strings"), so an [int] takes only a number, a [bool] takes no
// string at all ("Cannot convert value System.String to type
// System.Boolean") and a [switch] cannot be given a value.
func bindFile(params map[string]scriptParam, args []string) error {
	for i := 0; i < len(args); i++ {
		name, ok := strings.CutPrefix(args[i], "-")
		if !ok {
			return fmt.Errorf("%q is not a -Name: positional arguments are not used", args[i])
		}
		p, ok := params[strings.ToLower(name)]
		if !ok {
			return fmt.Errorf("the script has no parameter -%s", name)
		}
		if i+1 >= len(args) {
			return fmt.Errorf("-%s has no value", name)
		}
		i++
		v := args[i]
		switch p.Type {
		case "string":
		case "int":
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				return fmt.Errorf("-%s %q: cannot convert the string to [int]", name, v)
			}
			if len(p.Range) == 2 && (n < p.Range[0] || n > p.Range[1]) {
				return fmt.Errorf("-%s %d is outside ValidateRange(%d, %d)", name, n, p.Range[0], p.Range[1])
			}
		default:
			return fmt.Errorf("-%s %q: a [%s] parameter cannot be bound from a string through -File", name, v, p.Type)
		}
	}
	return nil
}

// TestExecuteCommandBindsOnWindows renders the default execute_command,
// splits it as powershell.exe does and binds every argument to the
// parameters of the cache-images.ps1 that is uploaded, as -File would.
func TestExecuteCommandBindsOnWindows(t *testing.T) {
	params := paramsOf(t, components.Script(components.CacheScript))
	for _, pin := range []bool{true, false} {
		comm, _, err := provision(t, map[string]any{"images": []string{"nginx"}, "pin": pin}, "WINBAKE-CACHE-COMPLETE 1\n", 0)
		if err != nil {
			t.Fatal(err)
		}
		line := comm.StartCmd.Command
		// WinRM's cmd shell hands the line to cmd.exe first: nothing in it
		// may be one of cmd.exe's operators or variables.
		if strings.ContainsAny(line, "&|<>^%") {
			t.Errorf("cmd.exe would reinterpret %s", line)
		}
		argv := windowsArgv(line)
		file := -1
		for i, a := range argv {
			if strings.EqualFold(a, "-File") {
				file = i
				break
			}
		}
		if file < 0 || file+1 >= len(argv) {
			t.Fatalf("no -File in %q", argv)
		}
		if argv[file+1] != "C:/Windows/Temp/winbake/"+components.CacheScript || comm.uploads[argv[file+1]] == "" {
			t.Errorf("-File %s is not the uploaded script", argv[file+1])
		}
		if err := bindFile(params, argv[file+2:]); err != nil {
			t.Errorf("pin=%v: %s\n  would fail on Windows: %v", pin, line, err)
		}
	}
}

// TestBindFileRefusesWhatWindowsRefuses keeps the emulation honest: the
// command line winbake used to send is refused, as on Windows.
func TestBindFileRefusesWhatWindowsRefuses(t *testing.T) {
	if got := windowsArgv(`a "b c" d\"e "f\\" g\\h`); strings.Join(got, "|") != `a|b c|d"e|f\|g\\h` {
		t.Errorf("windowsArgv = %q", got)
	}
	params := map[string]scriptParam{"pin": {Name: "Pin", Type: "bool"}, "n": {Name: "N", Type: "int", Range: []int{1, 20}}}
	for _, args := range [][]string{{"-Pin", "$true"}, {"-N", "$true"}, {"-N", "99"}, {"-Other", "1"}, {"-N"}} {
		if err := bindFile(params, args); err == nil {
			t.Errorf("%q bound; Windows PowerShell refuses it", args)
		}
	}
}
