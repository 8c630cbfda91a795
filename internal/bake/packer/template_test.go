package packer

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/winbake/winbake/internal/testing/testenv"
)

// template parses packer/eks-windows.pkr.hcl.
func template(t *testing.T) (*hclsyntax.Body, []byte) {
	t.Helper()
	file := filepath.Join(testenv.RepoRoot(), "packer", "eks-windows.pkr.hcl")
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, file, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return f.Body.(*hclsyntax.Body), src
}

// provisioners lists the build's provisioner blocks of a type.
func provisioners(t *testing.T, body *hclsyntax.Body, kind string) []*hclsyntax.Body {
	var out []*hclsyntax.Body
	for _, b := range body.Blocks {
		if b.Type != "build" {
			continue
		}
		for _, p := range b.Body.Blocks {
			if p.Type == "provisioner" && slices.Equal(p.Labels, []string{kind}) {
				out = append(out, p.Body)
			}
		}
	}
	return out
}

func source(src []byte, e hclsyntax.Expression) string {
	r := e.Range()
	return string(src[r.Start.Byte:r.End.Byte])
}

// TestUpdatesHonourTheVariable: with elevated_user set, Packer's powershell
// provisioner renders elevated_execute_command and never execute_command
// (packer provisioner/powershell/provisioner.go, createCommandText), so the
// command that passes -Enabled from windows_updates must be that one.
func TestUpdatesHonourTheVariable(t *testing.T) {
	body, src := template(t)
	var updates int
	for _, p := range provisioners(t, body, "powershell") {
		script, ok := p.Attributes["script"]
		if !ok || !strings.Contains(source(src, script.Expr), "install-updates.ps1") {
			continue
		}
		updates++
		if _, elevated := p.Attributes["elevated_user"]; !elevated {
			t.Errorf("the updates provisioner at %s runs unelevated; the Windows Update API refuses WinRM sessions", script.SrcRange)
			continue
		}
		cmd, ok := p.Attributes["elevated_execute_command"]
		if !ok || source(src, cmd.Expr) != "local.updates_command" {
			t.Errorf("the updates provisioner at %s runs elevated without elevated_execute_command = local.updates_command, so -Enabled is never passed", script.SrcRange)
		}
	}
	if updates != 2 {
		t.Errorf("%d updates provisioners, want 2 (before and after a restart)", updates)
	}
	for _, b := range body.Blocks {
		if b.Type == "locals" {
			if a, ok := b.Body.Attributes["updates_command"]; ok && strings.Contains(source(src, a.Expr), "-Enabled ([bool]::Parse($env:WINBAKE_UPDATES))") {
				return
			}
		}
	}
	t.Error("local.updates_command does not pass -Enabled from WINBAKE_UPDATES")
}

// TestSysprepAsDocumented: the last provisioner of the build runs the
// commands the amazon plugin documents (packer-plugin-amazon
// docs/builders/ebs.mdx) for the launch agent the base AMI has: EC2Launch
// v2 ("Windows 2022 Sysprep Commands"), preinstalled on Amazon's Windows
// Server 2022 and 2025 AMIs, and EC2Launch v1 ("Windows 2016 Sysprep
// Commands"), the agent of its 2016 and 2019 AMIs (EC2 User Guide,
// "Install the latest version of EC2Config": EC2Launch v2 comes
// pre-installed on Amazon Windows Server 2022 and 2025 AMIs). A 2019 bake
// with only the v2 commands fails at its last step.
func TestSysprepAsDocumented(t *testing.T) {
	body, src := template(t)
	ps := provisioners(t, body, "powershell")
	inline, ok := ps[len(ps)-1].Attributes["inline"]
	if !ok {
		t.Fatal("the last powershell provisioner has no inline commands")
	}
	got := source(src, inline.Expr)
	for _, want := range []string{
		// EC2Launch v2, found by its executable.
		`"if (Test-Path -LiteralPath 'C:/Program Files/Amazon/EC2Launch/ec2launch.exe') {"`,
		`"  & 'C:/Program Files/Amazon/EC2Launch/ec2launch' reset --block"`,
		`"  & 'C:/Program Files/Amazon/EC2Launch/ec2launch' sysprep --shutdown --block"`,
		// EC2Launch v1, found by its scripts.
		`"} elseif (Test-Path -LiteralPath 'C:/ProgramData/Amazon/EC2-Windows/Launch/Scripts/SysprepInstance.ps1') {"`,
		`"  C:/ProgramData/Amazon/EC2-Windows/Launch/Scripts/InitializeInstance.ps1 -Schedule"`,
		`"  C:/ProgramData/Amazon/EC2-Windows/Launch/Scripts/SysprepInstance.ps1 -NoShutdown"`,
		// Neither: say so rather than bake an image that was never sysprepped.
		`"} else {"`,
		`throw 'winbake: neither EC2Launch v2 nor EC2Launch v1 is installed`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the last powershell provisioner lacks %s:\n%s", want, got)
		}
	}
}
