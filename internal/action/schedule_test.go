package action

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/githttp"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// readOutputs reads $GITHUB_OUTPUT as the runner does (name<<DELIMITER
// blocks).
func readOutputs(t *testing.T, file string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			continue
		}
		var value []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			value = append(value, lines[i])
		}
		out[name] = strings.Join(value, "\n")
	}
	return out
}

// TestScheduledBump runs the action as the README's workflow does after
// actions/checkout with its defaults (depth 1, GITHUB_TOKEN persisted; v6
// keeps it in a file under RUNNER_TEMP), here with contents: read only,
// and a GitHub App token as github-token. The config and bake-file inputs
// are absolute paths, as another step's outputs are.
func TestScheduledBump(t *testing.T) {
	const checkoutToken, appToken = "ghs_github_token_read_only", githubfake.Token
	aws := awsfake.Start(t)
	aws.AddEKSAMIWithID("us-east-1", "2022-core", "1.31", stockAMI)
	root := t.TempDir()
	bare := filepath.Join(root, "acme", "infra")
	testenv.Git(t, root, "init", "--quiet", "--bare", "-b", "main", bare)
	dev := filepath.Join(root, "dev")
	testenv.Git(t, root, "clone", "--quiet", bare, dev)
	config := "images:\n" +
		"  - {name: win, kubernetes: \"1.31\", windows: 2022-core, regions: [us-east-1]}\n" +
		"  - {name: edge, kubernetes: \"1.31\", windows: 2019-core, regions: [us-east-1]}\n" +
		"  - {name: old, kubernetes: \"1.31\", windows: 2022-core, regions: [us-east-1]}\n"
	os.MkdirAll(filepath.Join(dev, ".github"), 0o755)
	os.MkdirAll(filepath.Join(dev, "terraform"), 0o755)
	os.WriteFile(filepath.Join(dev, ".github", "winbake.yaml"), []byte(config), 0o644)
	os.WriteFile(filepath.Join(dev, "terraform", "nodes.tf"), []byte("resource \"aws_launch_template\" \"win\" {\n  image_id = \""+stockAMI+"\"\n}\n"), 0o644)
	testenv.Git(t, dev, "add", ".")
	testenv.Git(t, dev, "commit", "--quiet", "-m", "infra")
	testenv.Git(t, dev, "push", "--quiet", "origin", "main")
	srv := githttp.Start(t, root, map[string]githttp.Access{checkoutToken: githttp.Read, appToken: githttp.Write})
	gh := githubfake.Start(t, "acme", "infra")
	gh.GitDir = bare

	run := func() (map[string]string, map[string]string, string, error) {
		e, _ := env(t, nil)
		ws := filepath.Join(t.TempDir(), "infra")
		githttp.Checkout{Server: srv.URL(), Repository: "acme/infra", Token: checkoutToken, Persist: githttp.IncludedHeader, RunnerTemp: e["RUNNER_TEMP"]}.Clone(t, ws)
		// An earlier step's bake.json, by its absolute path; edge before win.
		bakeFile := filepath.Join(e["RUNNER_TEMP"], "bake", "bake.json")
		os.MkdirAll(filepath.Dir(bakeFile), 0o755)
		f := bake.File{Images: []bake.Image{
			{Name: "edge", Kubernetes: "1.31", Windows: "2019-core", Builder: "imagebuilder", AMIs: []bake.AMI{{Region: "us-east-1", AMI: "ami-0eeeeeeeeeeeeeee1"}}, Finished: "2026-11-16T06:40:00Z"},
			{Name: "win", Kubernetes: "1.31", Windows: "2022-core", Builder: "imagebuilder", AMIs: []bake.AMI{{Region: "us-east-1", AMI: "ami-01111111111111111"}}, Finished: "2026-11-16T06:52:00Z"},
		}}
		if err := f.Write(bakeFile); err != nil {
			t.Fatal(err)
		}
		for k, v := range map[string]string{
			"GITHUB_WORKSPACE": ws, "GITHUB_SERVER_URL": srv.URL(), "GITHUB_API_URL": gh.URL(), "GITHUB_REPOSITORY": "acme/infra",
			"INPUT_COMMAND": "bump", "INPUT_GITHUB_TOKEN": appToken, "INPUT_BAKE_FILE": bakeFile, "INPUT_CONFIG": filepath.Join(ws, ".github", "winbake.yaml"),
		} {
			e[k] = v
		}
		out, err := run(t, e)
		summary, _ := os.ReadFile(e["GITHUB_STEP_SUMMARY"])
		return readOutputs(t, e["GITHUB_OUTPUT"]), e, out + "\n" + string(summary), err
	}

	outputs, _, log, err := run()
	if err != nil {
		t.Fatalf("%v\n%s", err, log)
	}
	want := map[string]string{"pull-request-number": "1,,", "pull-request-url": "https://github.com/acme/infra/pull/1,,", "pull-request-operation": "created,none,none"}
	for name, v := range want {
		if outputs[name] != v {
			t.Errorf("output %s = %q, want %q", name, outputs[name], v)
		}
	}
	var amis map[string]map[string]string
	if err := json.Unmarshal([]byte(outputs["ami-ids"]), &amis); err != nil || amis["win"]["us-east-1"] != "ami-01111111111111111" {
		t.Errorf("ami-ids %q: %v", outputs["ami-ids"], err)
	}
	if got := srv.Pushes(); len(got) != 1 || got[0] != appToken {
		t.Errorf("pushes by %v, want one by the github-token input", got)
	}
	for _, line := range strings.Split(log, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") && (strings.Contains(line, appToken) || strings.Contains(line, checkoutToken)) {
			t.Errorf("a token appears in the log: %q", line)
		}
	}

	// GitHub refuses the token now: each image says it failed, and why.
	gh.Inject(githubfake.Fault{Match: "GET /repos/acme/infra/pulls", Status: 403, Message: "Resource not accessible by integration", Times: 2,
		Headers: map[string]string{"X-Accepted-GitHub-Permissions": "pull_requests=read"}})
	outputs, _, log, err = run()
	if err == nil || outputs["pull-request-operation"] != "failed,failed,none" || outputs["pull-request-number"] != ",," {
		t.Fatalf("outputs %v, err %v", outputs, err)
	}
	if !strings.Contains(log, "- win: failed, 1 change(s): listing pull requests: the token lacks pull-requests: read (GitHub answered 403: Resource not accessible by integration)") {
		t.Errorf("the summary does not say what failed:\n%s", log)
	}
}
