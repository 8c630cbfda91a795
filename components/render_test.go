package components

import (
	"flag"
	"fmt"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func testConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.Load("testdata/winbake.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", "golden", filepath.FromSlash(name)), got, *update)
}

func renderAll(t *testing.T, pins map[string]Pins) map[string][]byte {
	t.Helper()
	files, err := Render(testConfig(t), pins, "123456789012")
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var testPins = map[string]Pins{
	"win2019-full": {
		BaseAMI: "ami-0aaaaaaaaaaaaaaaa",
		Digests: map[string]string{
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/fluentd-windows:1.17": "sha256:2222222222222222222222222222222222222222222222222222222222222222",
			"nginx": "sha256:3333333333333333333333333333333333333333333333333333333333333333",
		},
		Indexes: map[string]string{
			"nginx": "sha256:4444444444444444444444444444444444444444444444444444444444444444",
		},
	},
}

func TestRenderGolden(t *testing.T) {
	for name, data := range renderAll(t, nil) {
		golden(t, "unplanned/"+name, data)
	}
	for name, data := range renderAll(t, testPins) {
		golden(t, "planned/"+name, data)
	}
}

func TestRenderDeterministic(t *testing.T) {
	a, b := renderAll(t, testPins), renderAll(t, testPins)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("two renders differ:\n%s", diff)
	}
}

func TestRenderedDocumentsFollowAWSTOE(t *testing.T) {
	files := renderAll(t, testPins)
	for name, data := range files {
		if !strings.HasSuffix(name, ComponentFile) {
			continue
		}
		if problems := CheckAWSTOE(data); len(problems) > 0 {
			t.Errorf("%s:\n%s", name, strings.Join(problems, "\n"))
		}
		if len(data) > MaxInlineData {
			t.Errorf("%s is %d characters, over the inline limit", name, len(data))
		}
	}
}

func TestCacheImageNames(t *testing.T) {
	for _, tc := range []struct {
		ref, digest string
		want        CacheImage
	}{
		{"nginx", "", CacheImage{Pull: "docker.io/library/nginx:latest", Tag: "docker.io/library/nginx:latest"}},
		{"mcr.microsoft.com/windows/nanoserver:ltsc2022", "sha256:" + strings.Repeat("a", 64),
			CacheImage{Pull: "mcr.microsoft.com/windows/nanoserver@sha256:" + strings.Repeat("a", 64), Tag: "mcr.microsoft.com/windows/nanoserver:ltsc2022"}},
		{"mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:" + strings.Repeat("b", 64), "",
			CacheImage{Pull: "mcr.microsoft.com/windows/nanoserver@sha256:" + strings.Repeat("b", 64), Tag: "mcr.microsoft.com/windows/nanoserver:ltsc2022"}},
		{"mcr.microsoft.com/windows/nanoserver@sha256:" + strings.Repeat("c", 64), "",
			CacheImage{Pull: "mcr.microsoft.com/windows/nanoserver@sha256:" + strings.Repeat("c", 64), Tag: "mcr.microsoft.com/windows/nanoserver@sha256:" + strings.Repeat("c", 64)}},
		{"111122223333.dkr.ecr.ap-south-1.amazonaws.com/app:v2", "",
			CacheImage{Pull: "111122223333.dkr.ecr.ap-south-1.amazonaws.com/app:v2", Tag: "111122223333.dkr.ecr.ap-south-1.amazonaws.com/app:v2", ECRRegion: "ap-south-1"}},
	} {
		got, err := NewCacheImage(tc.ref, tc.digest)
		if err != nil {
			t.Errorf("%s: %v", tc.ref, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.ref, diff)
		}
	}
}

func TestQuoteKeepsDataData(t *testing.T) {
	for _, s := range []string{`it's`, "a\u2019b", `$(Remove-Item C:\)`, `"; exit 1; "`} {
		q := Quote(s)
		// Inside a single-quoted literal only a lone quote character ends
		// the string; every one in the input must arrive doubled.
		body := q[1 : len(q)-1]
		for _, quote := range []string{"'", "\u2018", "\u2019", "\u201a", "\u201b"} {
			if strings.Count(body, quote) != 2*strings.Count(s, quote) {
				t.Errorf("Quote(%q) = %s: %q not doubled", s, q, quote)
			}
		}
	}
}

func TestComponentTooLarge(t *testing.T) {
	cfg := testConfig(t)
	img := cfg.Images[0]
	img.Cache = nil
	var cache []CacheImage
	for i := range 120 {
		ref := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/service-with-a-long-name-" + strings.Repeat("x", 20) + ":" + string(rune('a'+i%26)) + strings.Repeat("1", i%7)
		ci, err := NewCacheImage(ref, "sha256:"+strings.Repeat("d", 64))
		if err != nil {
			t.Fatal(err)
		}
		cache = append(cache, ci)
	}
	_, err := Component(img, cache)
	if err == nil || !strings.Contains(err.Error(), "over Image Builder's inline limit of 16000") {
		t.Fatalf("err = %v, want the inline limit error", err)
	}
	// The error says how many fit: that many render, one more does not.
	m := regexp.MustCompile(`its first (\d+) of 120 cache images fit`).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("the error does not say how many images fit: %v", err)
	}
	fit, _ := strconv.Atoi(m[1])
	if _, err := Component(img, cache[:fit]); err != nil {
		t.Errorf("%d images were said to fit: %v", fit, err)
	}
	if _, err := Component(img, cache[:fit+1]); err == nil {
		t.Errorf("%d images fit, more than the %d the error said", fit+1, fit)
	}
	// What fits today (nine), pinned by digest and named by index digest:
	// the scripts must leave room for a useful list.
	var typical []CacheImage
	for i := range 9 {
		ci, err := NewCacheImage(fmt.Sprintf("123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/service-%d:1.2.3", i), "sha256:"+strings.Repeat("d", 64))
		if err == nil {
			ci, err = ci.WithIndex("sha256:" + strings.Repeat("e", 64))
		}
		if err != nil {
			t.Fatal(err)
		}
		typical = append(typical, ci)
	}
	if _, err := Component(img, typical); err != nil {
		t.Errorf("nine pinned ECR images with index digests no longer fit: %v", err)
	}
}

// commandsOf returns the PowerShell of every ExecutePowerShell step.
func commandsOf(t *testing.T, doc []byte) []string {
	t.Helper()
	var raw struct {
		Phases []struct {
			Steps []struct {
				Inputs struct {
					Commands []string `yaml:"commands"`
				} `yaml:"inputs"`
			} `yaml:"steps"`
		} `yaml:"phases"`
	}
	if err := yaml.Unmarshal(doc, &raw); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range raw.Phases {
		for _, s := range p.Steps {
			out = append(out, s.Inputs.Commands...)
		}
	}
	return out
}

func TestCheckAWSTOECatchesMistakes(t *testing.T) {
	doc := `name: x
schemaVersion: "1.0"
extra: 1
phases:
  - name: build
    steps:
      - name: "bad name"
        action: ExecutePowerShel
        timeoutSeconds: 99999
        onFailure: Stop
        inputs: {commands: []}
      - name: Ok
        action: ExecutePowerShell
        inputs: {script: x}
      - name: Braces
        action: ExecutePowerShell
        inputs: {commands: ['Write-Host "{{ image }}"']}
  - name: deploy
    steps: []
`
	want := []string{
		`unknown top-level key "extra"`,
		`schemaVersion is 1.0, want the number 1.0`,
		`phases[0].steps[0]: step name "bad name" must be letters, digits, _ and -`,
		`phases[0].steps[0]: unknown action "ExecutePowerShel"`,
		`phases[0].steps[0]: timeoutSeconds 99999 must be 1..43200 or -1`,
		`phases[0].steps[0]: onFailure Stop must be Abort, Continue or Ignore`,
		`phases[0].steps[1]: action ExecutePowerShell takes no input "script"`,
		`phases[0].steps[1]: ExecutePowerShell needs either a non-empty commands list or a file`,
		`phases[0].steps[2]: inputs hold "{{", which AWSTOE reads as a variable reference (the document defines none)`,
		`phases[1]: "deploy" is not a phase name`,
		`phases[1] (deploy): steps must be a non-empty list`,
	}
	if diff := cmp.Diff(want, CheckAWSTOE([]byte(doc))); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCacheImageNamesIncludeIndex(t *testing.T) {
	m, i := "sha256:"+strings.Repeat("a", 64), "sha256:"+strings.Repeat("b", 64)
	ci, err := NewCacheImage("mcr.microsoft.com/windows/nanoserver:ltsc2022", m)
	if err != nil {
		t.Fatal(err)
	}
	ci, err = ci.WithIndex(i)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"mcr.microsoft.com/windows/nanoserver@" + m, "mcr.microsoft.com/windows/nanoserver:ltsc2022", "mcr.microsoft.com/windows/nanoserver@" + i}
	if diff := cmp.Diff(want, ci.Names()); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	// Pulled by tag (unplanned): the index name hangs off the repository.
	byTag, _ := NewCacheImage("nginx:1.27", "")
	if byTag, _ = byTag.WithIndex(i); byTag.Index != "docker.io/library/nginx@"+i {
		t.Errorf("index name of a tag pull: %q", byTag.Index)
	}
	if _, err := ci.WithIndex("md5:1"); err == nil {
		t.Error("a non-sha256 index digest was taken")
	}
}

func TestCtrCommands(t *testing.T) {
	imgs, err := CacheImagesOf(testConfig(t).Images[0], testPins["win2019-full"])
	if err != nil {
		t.Fatal(err)
	}
	got := CtrCommands(imgs, true, func(region string) string { return "pw-" + region })
	var lines []string
	for _, c := range got {
		lines = append(lines, strings.Join(c, " "))
	}
	ecr := "123456789012.dkr.ecr.eu-west-1.amazonaws.com/fluentd-windows"
	nginx := "docker.io/library/nginx"
	d2, d3, d4 := "sha256:"+strings.Repeat("2", 64), "sha256:"+strings.Repeat("3", 64), "sha256:"+strings.Repeat("4", 64)
	want := []string{
		"-n k8s.io version",
		"-n k8s.io images pull --user AWS:pw-eu-west-1 " + ecr + "@" + d2,
		"-n k8s.io images tag --force " + ecr + "@" + d2 + " " + ecr + ":1.17",
		"-n k8s.io images label " + ecr + "@" + d2 + " " + PinnedLabel,
		"-n k8s.io images label " + ecr + ":1.17 " + PinnedLabel,
		"-n k8s.io images pull " + nginx + "@" + d3,
		"-n k8s.io images tag --force " + nginx + "@" + d3 + " " + nginx + ":latest",
		"-n k8s.io images tag --force " + nginx + "@" + d3 + " " + nginx + "@" + d4,
		"-n k8s.io images label " + nginx + "@" + d3 + " " + PinnedLabel,
		"-n k8s.io images label " + nginx + ":latest " + PinnedLabel,
		"-n k8s.io images label " + nginx + "@" + d4 + " " + PinnedLabel,
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("ctr calls (-want +got):\n%s", diff)
	}
}

// TestCtrCommandsMatchScript keeps CtrCommands, which the CRI test runs,
// in step with cache-images.ps1: every literal ctr call of the script is a
// call CtrCommands makes, and the other way round.
func TestCtrCommandsMatchScript(t *testing.T) {
	script := Script(CacheScript)
	literal := regexp.MustCompile(`(?:Invoke-Ctr|\$pullArgs =) @\(((?:'[^']*'(?:, )?)+)`)
	fromScript := map[string]bool{}
	for _, m := range literal.FindAllStringSubmatch(script, -1) {
		var words []string
		for _, w := range strings.Split(m[1], ",") {
			if w = strings.Trim(strings.TrimSpace(w), "'"); w != "" {
				words = append(words, w)
			}
		}
		fromScript[strings.Join(words, " ")] = true
	}
	imgs, err := CacheImagesOf(testConfig(t).Images[0], testPins["win2019-full"])
	if err != nil {
		t.Fatal(err)
	}
	fromGo := map[string]bool{}
	for _, c := range CtrCommands(imgs, true, func(string) string { return "" }) {
		if c[0] != "-n" || c[1] != CtrNamespace {
			t.Fatalf("%v does not start with -n %s", c, CtrNamespace)
		}
		var words []string
		for _, w := range c[2:] {
			if strings.Contains(w, "/") || strings.HasPrefix(w, "AWS:") || w == "--user" || w == PinnedLabel {
				break
			}
			words = append(words, w)
		}
		fromGo[strings.Join(words, " ")] = true
	}
	if diff := cmp.Diff(fromScript, fromGo); diff != "" {
		t.Errorf("ctr calls of cache-images.ps1 and CtrCommands differ (-script +Go):\n%s", diff)
	}
	// containerd must be running and answering before the first pull.
	if wait, pull := strings.Index(script, "\nWait-Containerd\n"), strings.Index(script, "Invoke-Ctr $pullArgs"); wait < 0 || pull < 0 || wait > pull {
		t.Errorf("cache-images.ps1 does not call Wait-Containerd before its first pull (at %d, pull at %d)", wait, pull)
	}
	// A disabled service is named as such: Start-Service says only
	// "Cannot start service containerd on computer '.'".
	for _, name := range []string{CacheScript, VerifyScript} {
		s := Script(name)
		if check, start := strings.Index(s, "$service.StartType -eq 'Disabled'"), strings.Index(s, "Start-Service -Name containerd"); check < 0 || start < 0 || check > start {
			t.Errorf("%s does not check for a disabled containerd service before starting it (check at %d, start at %d)", name, check, start)
		}
	}
	for _, want := range []string{"$Namespace = '" + CtrNamespace + "'", "'" + PinnedLabel + "'", "@($image.pull, $image.tag, $image.index)"} {
		if !strings.Contains(script, want) {
			t.Errorf("cache-images.ps1 lacks %s", want)
		}
	}
}

func TestCompactKeepsHereStrings(t *testing.T) {
	got := compact("<#\nhelp\n#>\nif ($x) {\n    # why\n    $s = @'\n  kept  as is\n'@\n    Write-Host $s\n}\n")
	want := "if ($x) {\n$s = @'\n  kept  as is\n'@\nWrite-Host $s\n}"
	if got != want {
		t.Errorf("compact:\n%s\nwant:\n%s", got, want)
	}
}
