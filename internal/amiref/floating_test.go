package amiref

import (
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/config"
)

func notesOf(name, body string) []string {
	img := config.Image{Name: "win", Kubernetes: "1.31", Windows: "2022-core"}
	var out []string
	for _, n := range Floating(name, []byte(body)) {
		out = append(out, strings.TrimSpace(n.Text+"; "+judge(n, img)))
	}
	return out
}

// Node groups that float on the stock AMI in the forms real repositories
// use are each told once, with whether they are this image's variant.
func TestFloatingReferencesFound(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"ami.tf", `data "aws_ami" "win" {
  most_recent = true
  owners      = ["amazon"]
  filter {
    name   = "name"
    values = ["Windows_Server-2022-English-Core-EKS_Optimized-${local.cluster_version}-*"]
  }
}`, "Terraform data.aws_ami.win picks the newest stock EKS-optimized AMI by name at each plan, never the baked one; this image's variant (2022-core)"},
		// Only upper-case SSM besides the parameter's name.
		{"params.yaml", `Parameters:
  NodeImageId:
    Type: AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>
    Default: /aws/service/ami-windows-latest/Windows_Server-2019-English-Full-EKS_Optimized-1.31/image_id
`, "Windows 2019-full, not this image's variant (2022-core)"},
		{"nodeclass.yaml", `apiVersion: karpenter.k8s.aws/v1beta1
kind: EC2NodeClass
metadata:
  name: windows
spec:
  amiFamily: Windows2022
  role: KarpenterNodeRole
`, "Karpenter EC2NodeClass windows: amiFamily Windows2022 with no amiSelectorTerms"},
		{"cluster.yaml", `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: prod
  version: "1.29"
nodeGroups:
  - name: win
    amiFamily: WindowsServer2022FullContainer
`, "eksctl nodeGroups[name=win]: Windows node group (WindowsServer2022FullContainer) with no `ami:`"},
		{"managed.yaml", `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata: {name: prod}
managedNodeGroups:
  - name: win
    amiType: WINDOWS_CORE_2022_x86_64
`, "node group AMI type `WINDOWS_CORE_2022_x86_64` with no AMI of its own: the stock EKS-optimized AMI"},
	}
	for _, c := range cases {
		got := notesOf(c.name, c.body)
		if len(got) != 1 || !strings.Contains(got[0], c.want) {
			t.Errorf("%s: notes %q, want one with %q", c.name, got, c.want)
		}
	}
	// The eksctl node group on 1.29 is another minor than the image's.
	if got := notesOf("cluster.yaml", cases[3].body); len(got) == 1 && !strings.Contains(got[0], "Windows 2022-full, not this image's variant") {
		t.Errorf("variant of a Full node group: %q", got)
	}
}

// What is not a stock EKS Windows reference is not called one, each note
// says what the reference is, and one reference makes one note.
func TestFloatingNotesAreRight(t *testing.T) {
	none := map[string]string{
		"bottlerocket.yaml": "apiVersion: eksctl.io/v1alpha5\nkind: ClusterConfig\nmetadata: {name: x}\nnodeGroups:\n  - name: br\n    amiFamily: Bottlerocket\n    ami: auto-ssm\n",
		"bastion.tf":        `data "aws_ssm_parameter" "bastion" { name = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base" }`,
	}
	for name, body := range none {
		if got := notesOf(name, body); len(got) != 0 {
			t.Errorf("%s: %q", name, got)
		}
	}
	lt := notesOf("lt.json", `{"LaunchTemplateData": {"ImageId": "resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"}}`)
	if len(lt) != 1 || !strings.HasPrefix(lt[0], "EC2 `resolve:ssm:` image ID") {
		t.Errorf("bare resolve:ssm: %q", lt)
	}
	cfn := notesOf("stack.json", `{"Parameters": {"Ami": {"Type": "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>", "Default": "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"}}, "Resources": {"LT": {"Properties": {"ImageId": "{{resolve:ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id:3}}"}}}}`)
	if len(cfn) != 2 || !strings.HasPrefix(cfn[1], "CloudFormation dynamic reference") && !strings.HasPrefix(cfn[0], "CloudFormation dynamic reference") {
		t.Errorf("one note per reference: %q", cfn)
	}
	alias := notesOf("nodeclass.yaml", "spec:\n  amiSelectorTerms:\n    - alias: windows2019@latest # pinned later\n")
	if len(alias) != 1 || strings.Contains(alias[0], "pinned later") || !strings.Contains(alias[0], "`windows2019@latest`") || !strings.Contains(alias[0], "not this image's variant") {
		t.Errorf("alias: %q", alias)
	}
}
