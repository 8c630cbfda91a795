package components

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// psSource is one PowerShell text for scripts/pssyntax.cjs.
type psSource struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// psFinding is one line of the checker: a syntax error or a 5.1 trap.
type psFinding struct {
	Name, Rule, Line string
}

var findingLine = regexp.MustCompile(`^(.+?):(\d+):(\d+): (?:trap ([a-z-]+):|unexpected|missing)`)

// checkPowerShell runs the tree-sitter checker over sources and returns
// every finding; rule is "syntax" for a syntax error.
func checkPowerShell(t *testing.T, sources []psSource) []psFinding {
	t.Helper()
	in, err := json.Marshal(sources)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", filepath.Join(testenv.RepoRoot(), "scripts", "pssyntax.cjs"), "-")
	cmd.Env = append(os.Environ(), "PSGRAMMAR_DIR="+testenv.PowerShellGrammar(t))
	cmd.Stdin = strings.NewReader(string(in))
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Fatalf("pssyntax.cjs: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), fmt.Sprintf("checked %d PowerShell sources", len(sources))) {
		t.Fatalf("the checker did not check all %d sources:\n%s", len(sources), out)
	}
	var found []psFinding
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := findingLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		rule := m[4]
		if rule == "" {
			rule = "syntax"
		}
		found = append(found, psFinding{Name: m[1], Rule: rule, Line: line})
	}
	return found
}

// shippedPowerShell is every script and the PowerShell of every rendered
// component document, planned and unplanned.
func shippedPowerShell(t *testing.T) []psSource {
	t.Helper()
	var sources []psSource
	for _, name := range ScriptNames() {
		sources = append(sources, psSource{"components/scripts/" + name, Script(name)})
		// As documents carry it: verify-images.ps1 travels compacted, inside a string.
		sources = append(sources, psSource{"compacted/" + name, compact(Script(name))})
	}
	def, err := config.Parse("default.yaml", config.DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	defaults, err := Render(def, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	for label, files := range map[string]map[string][]byte{"unplanned": renderAll(t, nil), "planned": renderAll(t, testPins), "default": defaults} {
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, name := range names {
			if !strings.HasSuffix(name, ComponentFile) {
				continue
			}
			for i, cmd := range commandsOf(t, files[name]) {
				sources = append(sources, psSource{fmt.Sprintf("%s/%s#command%d", label, name, i), cmd})
			}
		}
	}
	return sources
}

// plantedTraps are snippets each rule must catch (rule) next to the safe
// shapes the scripts use (rule "": must pass).
var plantedTraps = []struct {
	name, source, rule string
}{
	{"syntax", "function f { if ($x -eq 1 { }", "syntax"},
	{"stderr-merged", stop + "$out = & $Ctr images ls 2>&1\n", "native-stderr"},
	{"stderr-to-null", stop + "$out = ctr.exe images ls 2>$null\n", "native-stderr"},
	{"stderr-to-file", stop + "function f { $ErrorActionPreference = 'Continue' }\n& aws ecr get-login-password 2> err.txt\n", "native-stderr"},
	{"native-no-redirect", stop + "aws ecr get-login-password --region eu-west-1\n", "native-stderr"},
	{"continue-then-stop-again", stop + "$ErrorActionPreference = 'Continue'\n$ErrorActionPreference = 'Stop'\n$out = & $Ctr version 2>&1\n", "native-stderr"},
	{"native-in-function", stop + "function Get-X {\n    $out = & $Ctr version 2>&1\n}\n", "native-stderr"},
	{"json-in-array", "$images = @(ConvertFrom-Json -InputObject $json)\n", "json-array"},
	{"json-piped", "ConvertFrom-Json -InputObject $json | ForEach-Object { $_.pull }\n", "json-array"},
	{"bool-param", "param([bool]$Pin = $true)\nWrite-Host $Pin\n", "file-bool"},
	{"switch-param", "param([string]$A, [switch]$Force)\nWrite-Host $A\n", "file-bool"},
	{"typographic-quote", "Write-Host \u2018hello\u2019\n", "non-ascii"},
	{"non-ascii-comment", "# caf\u00e9\nWrite-Host 'x'\n", "non-ascii"},
	{"safe-native", stop + "function f {\n    $saved = $ErrorActionPreference\n    $ErrorActionPreference = 'Continue'\n    try { $o = & $Ctr version 2>&1; $c = $LASTEXITCODE } finally { $ErrorActionPreference = $saved }\n}\n", ""},
	{"safe-json", "$images = ConvertFrom-Json -InputObject $json\nforeach ($i in $images) { $i.pull }\n$n = @($images).Count\n(ConvertFrom-Json $json) | ForEach-Object { $_ }\n", ""},
	{"safe-params", "param([ValidateRange(0, 1)][int]$Pin = 1, [string]$Name)\nWrite-Host $Pin\n", ""},
	{"no-stop", "$o = & $Ctr version 2>&1\n", ""},
	{"scriptblock-call", stop + "& { Write-Host 'x' } -Name 1\n", ""},
	{"json-shallow", "$images | ConvertTo-Json | Set-Content -Encoding ASCII -LiteralPath $f\n", "json-depth"},
	{"safe-json-depth", "$s = ConvertTo-Json -Depth 10 -InputObject $images\n$t = $images | ConvertTo-Json -Dep:5 -Compress\n", ""},
	{"out-file-utf16", "$list | Out-File -FilePath $f\n", "file-encoding"},
	{"redirect-utf16", "Write-Output $json > $f\n", "file-encoding"},
	{"append-utf16", "$line >> 'C:\\ProgramData\\winbake\\log.txt'\n", "file-encoding"},
	{"safe-files", "$list | Out-File -FilePath $f -Encoding ascii\n$o = & $x 2>&1\n$n = Get-Item x 2> $null\nGet-Item y > $null\n", ""},
	{"iwr-ie-engine", "Invoke-WebRequest -Uri $u -OutFile $f\n", "web-parsing"},
	{"curl-alias", "$r = curl $u\n", "web-parsing"},
	{"safe-web", "Invoke-WebRequest -Uri $u -OutFile $f -UseBasicParsing\n$r = iwr $u -UseB\n", ""},
}

const stop = "$ErrorActionPreference = 'Stop'\n"

var (
	psOnce     sync.Once
	psShipped  []psSource
	psFindings map[string][]psFinding
)

// checkAll runs the checker once over the shipped PowerShell and the
// planted snippets (node starts slowly), keyed by source name.
func checkAll(t *testing.T) ([]psSource, map[string][]psFinding) {
	t.Helper()
	psOnce.Do(func() {
		psShipped = shippedPowerShell(t)
		sources := slices.Clone(psShipped)
		for _, c := range plantedTraps {
			sources = append(sources, psSource{"planted/" + c.name, c.source})
		}
		psFindings = map[string][]psFinding{}
		for _, f := range checkPowerShell(t, sources) {
			psFindings[f.Name] = append(psFindings[f.Name], f)
		}
	})
	if psFindings == nil {
		t.Fatal("the PowerShell checker did not run")
	}
	return psShipped, psFindings
}

// TestPowerShellChecks parses every script and the PowerShell inside every
// rendered document with the tree-sitter grammar, and holds them to the
// Windows PowerShell 5.1 rules of scripts/pssyntax.cjs.
func TestPowerShellChecks(t *testing.T) {
	shipped, found := checkAll(t)
	if len(shipped) < len(ScriptNames())+4 {
		t.Fatalf("only %d sources to check", len(shipped))
	}
	for _, src := range shipped {
		for _, f := range found[src.Name] {
			t.Errorf("%s", f.Line)
		}
	}
}

// TestPowerShellChecksCatchPlantedTraps proves each rule: a planted bad
// snippet is caught by it, and the safe shape next to it is not.
func TestPowerShellChecksCatchPlantedTraps(t *testing.T) {
	_, found := checkAll(t)
	for _, c := range plantedTraps {
		var rules []string
		for _, f := range found["planted/"+c.name] {
			rules = append(rules, f.Rule)
		}
		switch {
		case c.rule == "" && len(rules) > 0:
			t.Errorf("%s: the safe shape was flagged: %v\n%s", c.name, rules, c.source)
		case c.rule != "" && !slices.Contains(rules, c.rule):
			t.Errorf("%s: planted %s trap not caught (got %v):\n%s", c.name, c.rule, rules, c.source)
		}
	}
}
