package packer

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/testenv"
)

// updatesTemplate is the template's first updates provisioner, copied
// verbatim with the locals it uses, on a null source over SSH.
func updatesTemplate(t *testing.T, port int, username, key string) string {
	body, src := template(t)
	var locals, provisioner string
	for _, b := range body.Blocks {
		if b.Type == "locals" {
			if a, ok := b.Body.Attributes["updates_command"]; ok {
				locals = "  updates_command = " + source(src, a.Expr) + "\n"
			}
		}
	}
	for _, p := range provisioners(t, body, "powershell") {
		if a, ok := p.Attributes["script"]; ok && strings.Contains(source(src, a.Expr), "install-updates.ps1") {
			r := p.Range()
			// The block's body: from its header to its closing brace.
			provisioner = "  provisioner \"powershell\" " + string(src[p.SrcRange.Start.Byte:r.End.Byte])
			break
		}
	}
	if locals == "" || provisioner == "" {
		t.Fatal("the template has no updates provisioner or updates_command")
	}
	scripts := filepath.Join(testenv.RepoRoot(), "components", "scripts")
	return fmt.Sprintf(`
variable "windows_updates" {
  type = bool
}
locals {
  scripts = %q
%s}
source "null" "win" {
  communicator         = "ssh"
  ssh_host             = "127.0.0.1"
  ssh_port             = %d
  ssh_username         = %q
  ssh_private_key_file = %q
}
build {
  sources = ["source.null.win"]
%s
}
`, scripts, locals, port, username, key, provisioner)
}

// TestUpdatesOffReachesTheElevatedCommand runs the template's updates
// provisioner in real Packer, over SSH to a session whose "powershell"
// records what it is given: the elevated task Packer writes (packer-plugin-sdk
// guestexec.GenerateElevatedRunner) must pass -Enabled from WINBAKE_UPDATES,
// and the variables file must set it to false.
func TestUpdatesOffReachesTheElevatedCommand(t *testing.T) {
	packer, env := packerEnv(t)
	root, err := os.MkdirTemp("", "winbake-win-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(root) })
	for _, d := range []string{"bin", "runs", "C:/Windows/Temp", "c:/Windows/Temp"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	// Every SSH command runs in root, so Windows paths land there, with
	// the recording powershell first on PATH.
	session := filepath.Join(root, "session.sh")
	os.WriteFile(session, []byte("#!/bin/sh\ncd "+root+" || exit 1\nPATH="+root+"/bin:$PATH\nexport PATH\nexec /bin/sh -c \"$SSH_ORIGINAL_COMMAND\"\n"), 0o755)
	os.WriteFile(filepath.Join(root, "bin", "powershell"), []byte(`#!/bin/sh
n=$(ls runs | wc -l)
printf '%s\n' "$@" > runs/$n.args
while [ $# -gt 0 ]; do
  if [ "$1" = "-file" ]; then cp "$2" runs/$n.ps1; fi
  shift
done
exit 0
`), 0o755)
	port, key, username := startSSHD(t, "ForceCommand "+session+"\n")
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "updates.pkr.hcl"), []byte(updatesTemplate(t, port, username, key)), 0o644)
	if out, err := runPacker(t, packer, env, dir, "build", "-var", "windows_updates=false", "updates.pkr.hcl"); err != nil {
		t.Fatalf("packer build: %v\n%s", err, out)
	}

	var elevated, vars string
	runs, _ := filepath.Glob(filepath.Join(root, "runs", "*.ps1"))
	for _, f := range runs {
		if b, _ := os.ReadFile(f); strings.Contains(string(b), "Packer elevated task") {
			elevated = string(b)
		}
	}
	envFiles, _ := filepath.Glob(filepath.Join(root, "c:", "Windows", "Temp", "packer-ps-env-vars-*.ps1"))
	for _, f := range envFiles {
		b, _ := os.ReadFile(f)
		vars += string(b)
	}
	if elevated == "" {
		t.Fatalf("Packer ran no elevated task; runs: %v", runs)
	}
	if !strings.Contains(elevated, "-Enabled ([bool]::Parse($env:WINBAKE_UPDATES))") {
		t.Errorf("the elevated task does not pass -Enabled:\n%s", elevated)
	}
	if !strings.Contains(vars, `$env:WINBAKE_UPDATES="false"`) {
		t.Errorf("the variables file does not set WINBAKE_UPDATES to false:\n%s", vars)
	}
}
