package action

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// env is an action's environment: inputs and the files GitHub provides.
func env(t *testing.T, inputs map[string]string) (map[string]string, string) {
	dir := t.TempDir()
	e := map[string]string{
		"GITHUB_WORKSPACE":    dir,
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
		"RUNNER_TEMP":         t.TempDir(),
	}
	for k, v := range inputs {
		e["INPUT_"+strings.ToUpper(strings.ReplaceAll(k, "-", "_"))] = v
	}
	return e, dir
}

func run(t *testing.T, e map[string]string) (string, error) {
	return runWith(t, e, imagebuilder.RealClock{})
}

// runWith runs the action with a clock, such as the fake's simulated time.
func runWith(t *testing.T, e map[string]string, clock imagebuilder.Clock) (string, error) {
	var out bytes.Buffer
	err := Run(context.Background(), pipeline.Host{Clock: clock, Getenv: func(k string) string { return e[k] }}, &out)
	return out.String(), err
}

const goodConfig = "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n"

func TestBadInputsStopBeforeAWS(t *testing.T) {
	aws := awsfake.Start(t)
	for _, tc := range []struct {
		name   string
		inputs map[string]string
		config string
		want   string
	}{
		{"missing config", map[string]string{}, "", "::error title=winbake config::config .github/winbake.yaml not found in the repository: add it (see examples/winbake.yaml) or point the config input at it"},
		{"unknown command", map[string]string{"command": "deploy"}, goodConfig, `::error title=winbake command::input command: "deploy" is not a winbake command; expected plan, bake, bump, all or prune`},
		{"bad dry-run", map[string]string{"dry-run": "maybe"}, goodConfig, `input dry-run: "maybe" is not true or false`},
		{"bad apply", map[string]string{"command": "prune", "apply": "maybe"}, goodConfig, `::error title=winbake apply::input apply: "maybe" is not true or false`},
		{"bump without bake file", map[string]string{"command": "bump"}, goodConfig, "::error title=winbake bake-file::command bump needs the bake-file input"},
		{"bake file that does not exist", map[string]string{"command": "bump", "bake-file": "nope.json"}, goodConfig, "::error title=winbake bake-file::input bake-file: reading the bake file"},
		{"config errors are annotated on their lines", map[string]string{}, goodConfig + "    volumeSise: 80\n", "::error col=5,file=.github/winbake.yaml,line=6,title=winbake.yaml::images[0].volumeSise: unknown field"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, dir := env(t, tc.inputs)
			if tc.config != "" {
				os.MkdirAll(filepath.Join(dir, ".github"), 0o755)
				os.WriteFile(filepath.Join(dir, ".github", "winbake.yaml"), []byte(tc.config), 0o644)
			}
			out, err := run(t, e)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Errorf("err = %v\noutput:\n%s\nwant %q", err, out, tc.want)
			}
			if n := aws.CountCalls(""); n != 0 {
				t.Errorf("%d AWS calls before the input was checked", n)
			}
		})
	}
}

// The action checks a bake file against the config as the CLI does, before
// any AWS call.
func TestBakeFileOfAnotherConfigStopsBeforeAWS(t *testing.T) {
	aws := awsfake.Start(t)
	e, dir := env(t, map[string]string{"command": "bump", "bake-file": "bake.json"})
	os.MkdirAll(filepath.Join(dir, ".github"), 0o755)
	os.WriteFile(filepath.Join(dir, ".github", "winbake.yaml"), []byte(goodConfig), 0o644)
	bake := `{"version": 1, "images": [{"name": "linux", "amis": [{"region": "us-east-1", "ami": "ami-01111111111111111"}]}]}`
	os.WriteFile(filepath.Join(dir, "bake.json"), []byte(bake), 0o644)
	out, err := run(t, e)
	want := `::error title=winbake bake-file::input bake-file: ` + filepath.Join(dir, "bake.json") + ` holds image "linux", which ` + filepath.Join(dir, ".github", "winbake.yaml") + ` does not list`
	if err == nil || !strings.Contains(out, want) {
		t.Errorf("err = %v\noutput:\n%s\nwant %q", err, out, want)
	}
	if n := aws.CountCalls(""); n != 0 {
		t.Errorf("%d AWS calls before the bake file was checked", n)
	}
}

func TestNoAWSCredentials(t *testing.T) {
	awsfake.Start(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	e, dir := env(t, map[string]string{"github-token": "ghs_secret_token_value"})
	os.MkdirAll(filepath.Join(dir, ".github"), 0o755)
	os.WriteFile(filepath.Join(dir, ".github", "winbake.yaml"), []byte(goodConfig), 0o644)
	out, err := run(t, e)
	if err == nil || !strings.Contains(out, "::error title=winbake AWS credentials::no AWS credentials") || !strings.Contains(out, "aws-actions/configure-aws-credentials") {
		t.Errorf("err = %v\n%s", err, out)
	}
	if !strings.Contains(out, "::add-mask::ghs_secret_token_value") {
		t.Errorf("the token was not masked:\n%s", out)
	}
}
