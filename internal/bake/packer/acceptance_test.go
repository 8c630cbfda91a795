package packer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// The versions scripts/tools.sh installs and the tests run against.
const (
	packerVersion = "1.15.0"
	amazonVersion = "1.8.1"
)

// packerEnv installs the real amazon plugin and a fresh build of ours into
// a private plugin folder, as users do with packer plugins install --path.
func packerEnv(t *testing.T) (packer string, env []string) {
	t.Helper()
	packer = testenv.Binary(t, "packer")
	amazon := testenv.Binary(t, "packer-plugin-amazon")
	version := exec.Command(packer, "version")
	version.Env = append(os.Environ(), "CHECKPOINT_DISABLE=1")
	if out, _ := version.Output(); !strings.HasPrefix(string(out), "Packer v"+packerVersion+"\n") {
		t.Fatalf("%s is %q, not Packer %s: run bash scripts/tools.sh packer", packer, out, packerVersion)
	}
	if out, _ := exec.Command(amazon, "describe").Output(); !strings.Contains(string(out), `"version":"`+amazonVersion+`"`) {
		t.Fatalf("%s describes itself as %s, not the amazon plugin %s: run bash scripts/tools.sh packer", amazon, out, amazonVersion)
	}
	dir := t.TempDir()
	ours := filepath.Join(dir, "packer-plugin-winbake")
	testenv.GoBuild(t, ours, "./cmd/packer-plugin-winbake")
	env = append(os.Environ(), "PACKER_PLUGIN_PATH="+filepath.Join(dir, "plugins"), "CHECKPOINT_DISABLE=1", "PACKER_CHECKPOINT_DISABLE=1")
	for _, p := range [][2]string{{amazon, "github.com/hashicorp/amazon"}, {ours, "github.com/winbake/winbake"}} {
		cmd := exec.Command(packer, "plugins", "install", "--path", p[0], p[1])
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("packer plugins install %s: %v\n%s", p[1], err, out)
		}
	}
	return packer, env
}

func runPacker(t *testing.T, packer string, env []string, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(packer, args...)
	cmd.Env, cmd.Dir = env, dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// TestTemplateValidates runs packer validate on the real template, from
// the repository root and from packer/, as users do.
func TestTemplateValidates(t *testing.T) {
	packer, env := packerEnv(t)
	cfg, err := config.Parse("(default)", config.DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	files, err := components.Render(cfg, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	vars := files["windows-2022-core/"+components.PackerVarsFile]
	varFile := filepath.Join(t.TempDir(), "vars.pkrvars.json")
	validate := func(vars []byte, dir, template string) (string, error) {
		os.WriteFile(varFile, vars, 0o644)
		return runPacker(t, packer, env, dir, "validate", "-var-file="+varFile, template)
	}
	root := testenv.RepoRoot()
	for _, tc := range []struct{ dir, template string }{
		{root, "packer/eks-windows.pkr.hcl"},
		{filepath.Join(root, "packer"), "eks-windows.pkr.hcl"},
		{t.TempDir(), filepath.Join(root, "packer", "eks-windows.pkr.hcl")},
	} {
		if out, err := validate(vars, tc.dir, tc.template); err != nil {
			t.Errorf("packer validate %s in %s: %v\n%s", tc.template, tc.dir, err, out)
		}
	}
	template := filepath.Join(root, "packer", "eks-windows.pkr.hcl")
	// The plugin's own checks run inside packer validate.
	bad := bytes.Replace(vars, []byte(`"public.ecr.aws/aws-observability/aws-for-fluent-bit:windowsservercore-stable"`), []byte(`"not a reference"`), 1)
	out, err := validate(bad, root, template)
	if err == nil || !strings.Contains(out, `images[1]: "not a reference" is not an image reference`) {
		t.Errorf("packer validate accepted a bad reference: %v\n%s", err, out)
	}
	// Index digests reach the provisioner: a known entry passes, an entry
	// that is not one of the images is refused by the plugin.
	var m map[string]any
	if err := json.Unmarshal(vars, &m); err != nil {
		t.Fatal(err)
	}
	first := m["cache_images"].([]any)[0].(string)
	for _, tc := range []struct{ key, want string }{{first, ""}, {"nginx:1.27", `index_digests: "nginx:1.27" is not one of images`}} {
		m["cache_index_digests"] = map[string]string{tc.key: "sha256:" + strings.Repeat("e", 64)}
		indexed, _ := json.Marshal(m)
		out, err := validate(indexed, root, template)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(out, tc.want)) {
			t.Errorf("packer validate with cache_index_digests {%q: ...}: %v\n%s", tc.key, err, out)
		}
	}
	// Fast Launch reaches the amazon plugin's fast_launch block, which
	// checks it (packer-plugin-amazon builder/ebs/fast_launch_setup.go).
	fast := bytes.Replace(vars, []byte(`"fast_launch": false`), []byte(`"fast_launch": true, "fast_launch_max_parallel_launches": 6`), 1)
	if out, err := validate(fast, root, template); err != nil || bytes.Equal(fast, vars) {
		t.Errorf("packer validate with Fast Launch: %v\n%s", err, out)
	}
	fast = bytes.Replace(fast, []byte(`"fast_launch_max_parallel_launches": 6`), []byte(`"fast_launch_max_parallel_launches": 2`), 1)
	if out, err := validate(fast, root, template); err == nil || !strings.Contains(out, "max_parallel_launches must be >= 6, provided value is 2") {
		t.Errorf("the amazon plugin did not see the fast_launch block: %v\n%s", err, out)
	}
}

// TestPackerErrorsAreShown: Packer writes the errors of packer init to
// stderr; the bake's error carries them, not just an exit status.
func TestPackerErrorsAreShown(t *testing.T) {
	packer, env := packerEnv(t)
	dir := t.TempDir()
	template := filepath.Join(dir, "broken.pkr.hcl")
	os.WriteFile(template, []byte("packer {\n  required_plugins = 3\n}\n"), 0o644)
	cfg, err := config.Parse("winbake.yaml", []byte("builder: packer\npacker: {template: "+template+"}\nimages:\n  - {name: win, kubernetes: \"1.34\", windows: 2022-core, regions: [us-east-1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	r := &Runner{Packer: packer, Log: &log, Env: env}
	_, err = r.Bake(context.Background(), cfg, cfg.Images[0], plan.Image{})
	if err == nil || !strings.Contains(err.Error(), "packer init: exit status 1: ") || !strings.Contains(err.Error(), "required_plugins") {
		t.Errorf("err = %v; Packer's stderr was:\n%s", err, log.String())
	}
}

const nullTemplate = `
source "null" "local" {
  communicator = "none"
}
build {
  sources = ["source.null.local"]
  provisioner "winbake-image-cache" {
%s
  }
}
`

func TestValidateRejectsBadOptions(t *testing.T) {
	packer, env := packerEnv(t)
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	p := &plan.Plan{Version: plan.FormatVersion, Images: []plan.Image{{Name: "win", Windows: "2019-core", Build: "10.0.17763",
		Cache: []plan.CacheImage{{Image: registry.Image{Ref: "nginx", Digest: "sha256:" + strings.Repeat("c", 64)}}}}}}
	if err := p.Write(planFile); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ body, want string }{
		{`images = ["nginx"]` + "\n    imagez = 1", `An argument named "imagez" is not expected here`},
		{`images = []`, "images: nothing to cache"},
		{`images = ["foo bar"]`, `images[0]: "foo bar" is not an image reference`},
		{fmt.Sprintf("plan_file = %q\n    windows_variant = \"2022-core\"", planFile), "but the instance is 2022-core (build 10.0.20348)"},
	} {
		f := filepath.Join(dir, "t.pkr.hcl")
		os.WriteFile(f, []byte(fmt.Sprintf(nullTemplate, "    "+tc.body)), 0o644)
		out, err := runPacker(t, packer, env, dir, "validate", f)
		if err == nil || !strings.Contains(out, tc.want) {
			t.Errorf("%s: %v\n%s", tc.body, err, out)
		}
	}
}

// startSSHD runs a real sshd on a loopback port that lets the current user
// in with a fresh key: the communicator of the null builds. extra is added
// to its configuration.
func startSSHD(t *testing.T, extra string) (port int, key, username string) {
	t.Helper()
	sshd := testenv.Binary(t, "sshd")
	dir := t.TempDir()
	key = filepath.Join(dir, "id_ed25519")
	for _, k := range []string{key, filepath.Join(dir, "host")} {
		if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", k).CombinedOutput(); err != nil {
			t.Fatalf("ssh-keygen: %v\n%s", err, out)
		}
	}
	pub, _ := os.ReadFile(key + ".pub")
	os.WriteFile(filepath.Join(dir, "authorized_keys"), pub, 0o600)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	u, _ := user.Current()
	cfg := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile none\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nAuthorizedKeysFile %s\nSubsystem sftp internal-sftp\n%s",
		port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"), extra)
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	var logs bytes.Buffer
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port, key, u.Username
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not start:\n%s", logs.String())
		}
	}
}

const sshTemplate = `
source "null" "local" {
  communicator         = "ssh"
  ssh_host             = "127.0.0.1"
  ssh_port             = %d
  ssh_username         = %q
  ssh_private_key_file = %q
}
build {
  sources = ["source.null.local"]
  provisioner "winbake-image-cache" {
    images          = ["mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:%s", "nginx"]
    remote_dir      = %q
    max_attempts    = 3
    execute_command = "sh %s {{.Path}} {{.ImagesFile}} {{.MaxAttempts}}"
  }
  post-processor "manifest" {
    output = "manifest.json"
  }
}
`

// TestNullBuildRunsTheProvisioner runs packer build for real: Packer loads
// the plugin over RPC, which uploads the script and the image list over
// SSH and runs the command; a recording script stands in for PowerShell.
func TestNullBuildRunsTheProvisioner(t *testing.T) {
	packer, env := packerEnv(t)
	port, key, username := startSSHD(t, "")
	dir := t.TempDir()
	remote := filepath.Join(dir, "remote")
	os.MkdirAll(remote, 0o755)
	record := filepath.Join(dir, "record.sh")
	write := func(script string) {
		os.WriteFile(record, []byte(script), 0o755)
		tmpl := fmt.Sprintf(sshTemplate, port, username, key, strings.Repeat("d", 64), remote, record)
		os.WriteFile(filepath.Join(dir, "build.pkr.hcl"), []byte(tmpl), 0o644)
	}
	write("cp \"$1\" " + dir + "/got-script.ps1; cp \"$2\" " + dir + "/got-images.json; echo \"$3\" > " + dir + "/got-attempts\necho 'winbake: cached 2 images'\necho 'WINBAKE-CACHE-COMPLETE 2'\n")
	for run := 1; run <= 2; run++ {
		if out, err := runPacker(t, packer, env, dir, "build", "-machine-readable", "build.pkr.hcl"); err != nil {
			t.Fatalf("packer build %d: %v\n%s", run, err, out)
		}
	}
	script, _ := os.ReadFile(filepath.Join(dir, "got-script.ps1"))
	if string(script) != components.Script(components.CacheScript) {
		t.Error("the uploaded script is not components/scripts/cache-images.ps1")
	}
	var images []components.CacheImage
	data, _ := os.ReadFile(filepath.Join(dir, "got-images.json"))
	if err := json.Unmarshal(data, &images); err != nil || len(images) != 2 || images[0].Pull != "mcr.microsoft.com/windows/nanoserver@sha256:"+strings.Repeat("d", 64) {
		t.Errorf("uploaded image list %s: %v", data, err)
	}
	if a, _ := os.ReadFile(filepath.Join(dir, "got-attempts")); strings.TrimSpace(string(a)) != "3" {
		t.Errorf("max_attempts reached the command as %q", a)
	}

	// The manifest of two runs: the parser keeps the last run's build.
	manifest, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	var all struct{ Builds []Build }
	json.Unmarshal(manifest, &all)
	builds, err := LastRun(manifest)
	if err != nil || len(all.Builds) != 2 || len(builds) != 1 || builds[0].RunUUID != all.Builds[1].RunUUID || builds[0].BuilderType != "null" {
		t.Fatalf("manifest %s: last run %+v, %v", manifest, builds, err)
	}
	if _, err := builds[0].AMIs(); err == nil || !strings.Contains(err.Error(), "not region:ami pairs") {
		t.Errorf("a null artifact read as AMIs: %v", err)
	}

	// A failed pull fails the build, naming the image.
	write("echo 'WINBAKE-CACHE-FAILED docker.io/library/nginx:latest'\nexit 1\n")
	out, err := runPacker(t, packer, env, dir, "build", "build.pkr.hcl")
	if err == nil || !strings.Contains(out, "caching docker.io/library/nginx:latest failed (exit code 1)") {
		t.Errorf("failed pull: %v\n%s", err, out)
	}
	// Exit 0 without the marker is a failure too.
	write("echo 'winbake: [1/2] pulling'\nexit 0\n")
	out, err = runPacker(t, packer, env, dir, "build", "build.pkr.hcl")
	if err == nil || !strings.Contains(out, "without its completion marker") {
		t.Errorf("killed script: %v\n%s", err, out)
	}
}

// TestPackerStderrIsShown: what reaches stderr (a Go panic of Packer or of
// a plugin is written there) is part of the error too.
func TestPackerStderrIsShown(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "packer")
	os.WriteFile(fake, []byte("#!/bin/sh\necho 'panic: runtime error: invalid memory address' >&2\nexit 2\n"), 0o755)
	cfg, err := config.Parse("winbake.yaml", []byte("builder: packer\nimages:\n  - {name: win, kubernetes: \"1.34\", windows: 2022-core, regions: [us-east-1]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = (&Runner{Packer: fake, Log: &bytes.Buffer{}}).Bake(context.Background(), cfg, cfg.Images[0], plan.Image{})
	if err == nil || err.Error() != "packer init: exit status 2: panic: runtime error: invalid memory address" {
		t.Errorf("err = %v", err)
	}
}

func TestAMIsOfAnAmazonBuild(t *testing.T) {
	m := []byte(`{"builds":[
	  {"name":"eks_windows","builder_type":"amazon-ebs","artifact_id":"us-east-1:ami-01111111111111111","packer_run_uuid":"old"},
	  {"name":"eks_windows","builder_type":"amazon-ebs","artifact_id":"us-east-1:ami-02222222222222222,eu-west-1:ami-03333333333333333","packer_run_uuid":"new"}],
	  "last_run_uuid":"new"}`)
	builds, err := LastRun(m)
	if err != nil || len(builds) != 1 {
		t.Fatalf("%+v %v", builds, err)
	}
	amis, err := builds[0].AMIs()
	if err != nil || fmt.Sprint(amis) != "[{us-east-1 ami-02222222222222222 } {eu-west-1 ami-03333333333333333 }]" {
		t.Errorf("%v %v", amis, err)
	}
}

func TestMissingPacker(t *testing.T) {
	r := &Runner{Packer: "packer-that-is-not-there", Log: &bytes.Buffer{}}
	_, err := r.Bake(context.Background(), &config.Config{}, config.Image{Regions: []string{"us-east-1"}}, plan.Image{})
	if err == nil || !strings.Contains(err.Error(), "packer is not installed: install Packer 1.11 or newer") {
		t.Errorf("err = %v", err)
	}
}

func TestParseLine(t *testing.T) {
	kind, text, ok := ParseLine(`1700000000,amazon-ebs.eks_windows,ui,error,Build 'x' errored after 3 minutes: a%!(PACKER_COMMA) b\n`)
	if !ok || kind != "error" || text != "Build 'x' errored after 3 minutes: a, b" {
		t.Errorf("%q %q %v", kind, text, ok)
	}
}
