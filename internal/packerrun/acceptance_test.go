package packerrun

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
	"github.com/winbake/winbake/internal/testenv"
)

// packerEnv installs the real amazon plugin and a fresh build of ours into
// a private plugin folder, as users do with packer plugins install --path.
func packerEnv(t *testing.T) (packer string, env []string) {
	t.Helper()
	packer = testenv.Binary(t, "packer")
	amazon := testenv.Binary(t, "packer-plugin-amazon")
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
	dir := t.TempDir()
	varFile := filepath.Join(dir, "vars.pkrvars.json")
	os.WriteFile(varFile, files["windows-2022-core/"+components.PackerVarsFile], 0o644)
	template := filepath.Join(testenv.RepoRoot(), "packer", "eks-windows.pkr.hcl")
	if out, err := runPacker(t, packer, env, dir, "validate", "-var-file="+varFile, template); err != nil {
		t.Fatalf("packer validate: %v\n%s", err, out)
	}
	// The plugin's own checks run inside packer validate.
	os.WriteFile(varFile, bytes.Replace(files["windows-2022-core/"+components.PackerVarsFile], []byte(`"public.ecr.aws/aws-observability/aws-for-fluent-bit:windowsservercore-stable"`), []byte(`"not a reference"`), 1), 0o644)
	out, err := runPacker(t, packer, env, dir, "validate", "-var-file="+varFile, template)
	if err == nil || !strings.Contains(out, `images[1]: "not a reference" is not an image reference`) {
		t.Errorf("packer validate accepted a bad reference: %v\n%s", err, out)
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
// in with a fresh key: the communicator of the null builds.
func startSSHD(t *testing.T) (port int, key, username string) {
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
	cfg := fmt.Sprintf("Port %d\nListenAddress 127.0.0.1\nHostKey %s\nPidFile none\nUsePAM no\nStrictModes no\nPermitRootLogin prohibit-password\nPasswordAuthentication no\nAuthorizedKeysFile %s\nSubsystem sftp internal-sftp\n",
		port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"))
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
	port, key, username := startSSHD(t)
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
