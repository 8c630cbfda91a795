package action

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/testing/githttp"
	"github.com/winbake/winbake/internal/testing/githubfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// startFakeAWS runs the fake AWS server as its own process, as the runner
// reaches it through AWS_ENDPOINT_URL.
func startFakeAWS(t *testing.T, seed string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "fakeaws")
	testenv.GoBuild(t, bin, "./internal/testing/awsfake/fakeaws")
	os.WriteFile(filepath.Join(dir, "seed.json"), []byte(seed), 0o644)
	cmd := exec.Command(bin, "-seed", filepath.Join(dir, "seed.json"))
	stdout, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("fakeaws: %v", err)
	}
	return strings.TrimSpace(line)
}

// TestActionEndToEnd runs a workflow that uses winbake/winbake@v1 at a ref
// without a release (a branch or SHA), so the action builds winbake from
// source with the runner's Go, in the real GitHub Actions runner act (host
// mode), against fake AWS in its own process, a real registry, a bare git
// origin and fake GitHub.
func TestActionEndToEnd(t *testing.T) {
	act := testenv.Binary(t, "act")
	w := newWorld(t)
	out := t.TempDir()
	logs, err := runAct(t, act, testenv.RepoRoot(), "testdata/e2e.yml", w.actEnv(t, out), os.Getenv("PATH"), t.TempDir())
	if err != nil {
		t.Fatalf("act: %v\n%s", err, logs)
	}
	if !strings.Contains(logs, "Building winbake from source") {
		t.Errorf("the action did not build from source:\n%s", logs)
	}
	w.checkBaked(t, out, logs)
}

// actEnv is the environment of a run against w: fake AWS, fake GitHub, the
// origin on a git server that accepts only the token (as GitHub does), and
// out for the step outputs.
func (w *world) actEnv(t *testing.T, out string) map[string]string {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "acme"), 0o755)
	if err := os.Symlink(w.origin, filepath.Join(root, "acme", "infra")); err != nil {
		t.Fatal(err)
	}
	w.git = githttp.Start(t, root, map[string]githttp.Access{githubfake.Token: githttp.Write})
	return map[string]string{
		"AWS_ENDPOINT_URL": startFakeAWS(t, seedJSON), "AWS_ACCESS_KEY_ID": "AKIAE2E", "AWS_SECRET_ACCESS_KEY": "e2e-secret-key", "AWS_REGION": "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true", "GITHUB_API_URL": w.gh.URL(), "GITHUB_REPOSITORY": "acme/infra",
		"GITHUB_SERVER_URL": w.git.URL(), "WINBAKE_E2E_OUT": out,
	}
}

// runAct runs workflow (under testdata/) in act, with the action
// winbake/winbake@v1 taken from actionDir, the given environment and PATH,
// and act's caches in cacheDir, and returns act's log. In host mode act sets
// RUNNER_TOOL_CACHE to cacheDir/tool_cache, whatever --env says
// (pkg/runner/run_context.go).
func runAct(t *testing.T, act, actionDir, workflow string, env map[string]string, path, cacheDir string) (string, error) {
	t.Helper()
	runDir := t.TempDir()
	testenv.Git(t, runDir, "init", "--quiet")
	b, err := os.ReadFile(workflow)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(runDir, "e2e.yml"), b, 0o644)
	args := []string{"workflow_dispatch", "-W", filepath.Join(runDir, "e2e.yml"), "-P", "ubuntu-latest=-self-hosted",
		"--local-repository", "winbake/winbake@v1=" + actionDir, "--action-cache-path", cacheDir,
		"-s", "GITHUB_TOKEN=" + githubfake.Token}
	for k, v := range env {
		args = append(args, "--env", k+"="+v)
	}
	cmd := exec.Command(act, args...)
	cmd.Dir = runDir
	cmd.Env = append(os.Environ(), "PATH="+path)
	start := time.Now()
	logs, err := cmd.CombinedOutput()
	t.Logf("act ran for %s", time.Since(start).Round(time.Second))
	for _, secret := range []string{githubfake.Token, "e2e-secret-key"} {
		if strings.Contains(string(logs), secret) {
			t.Errorf("a secret appears in the job log")
		}
	}
	return string(logs), err
}

// checkBaked checks what a whole run leaves: the step outputs in out, the
// pushed branch in the origin and the pull request.
func (w *world) checkBaked(t *testing.T, out, logs string) {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil {
			t.Fatalf("output %s: %v\n%s", name, err, logs)
		}
		return string(b)
	}
	var amis map[string]map[string]string
	if err := json.Unmarshal([]byte(read("AMI_IDS")), &amis); err != nil || !strings.HasPrefix(amis["win"]["us-east-1"], "ami-") {
		t.Fatalf("ami-ids %q: %v", read("AMI_IDS"), err)
	}
	newAMI := amis["win"]["us-east-1"]
	if read("PR_OPERATION") != "created" || read("PR_NUMBER") != "1" || read("PR_URL") != "https://github.com/acme/infra/pull/1" {
		t.Errorf("PR outputs: %s %s %s", read("PR_OPERATION"), read("PR_NUMBER"), read("PR_URL"))
	}
	if !strings.HasSuffix(read("PLAN_FILE"), "plan.json") || !strings.HasSuffix(read("BAKE_FILE"), "bake.json") {
		t.Errorf("file outputs: %s %s", read("PLAN_FILE"), read("BAKE_FILE"))
	}
	tf := testenv.Git(t, w.origin, "show", "winbake/win:terraform/nodes.tf")
	if !strings.Contains(tf, `image_id = "`+newAMI+`"`) {
		t.Errorf("pushed branch:\n%s", tf)
	}
	prs := w.gh.PRs()
	if len(prs) != 1 || prs[0].Head != "winbake/win" || strings.Join(prs[0].Labels, ",") != "windows,ami" || !strings.Contains(prs[0].Title, newAMI) {
		t.Errorf("PR request: %+v", prs)
	}
	if got := w.git.Pushes(); len(got) != 1 || got[0] != githubfake.Token {
		t.Errorf("pushes by %v, want one with the github-token input", got)
	}
}
