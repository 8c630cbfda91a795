package amiref

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

// winbake tags what it bakes with the image's Windows variant
// (components/recipe.go, packer/eks-windows.pkr.hcl). When an image's
// windows is changed, its earlier AMIs are of another variant: a 2019 node
// group's pods run ltsc2019 images, which a 2022 host cannot run with
// process isolation, so those node groups are left alone, with the reason.
func TestBakedForAnotherWindowsVariantStays(t *testing.T) {
	s := awsfake.Start(t)
	baked2019 := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win-1.31-2026-09-01", Tags: map[string]string{"winbake:image": "win", "winbake:kubernetes": "1.31", "winbake:windows": "2019-core"}})
	baked2022 := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win-1.31-2026-10-01", Tags: map[string]string{"winbake:image": "win", "winbake:kubernetes": "1.31", "winbake:windows": "2022-core"}})
	root := writeTree(t, map[string]string{"eksctl/cluster.yaml": `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: prod
  region: us-east-1
  version: "1.31"
nodeGroups:
  - name: win-2019
    amiFamily: WindowsServer2019CoreContainer
    ami: ` + baked2019 + `
  - name: win-2022
    amiFamily: WindowsServer2022CoreContainer
    ami: ` + baked2022 + `
`})
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Changes) == 1 && r.Changes[0].Old == baked2022, "changes: %+v", r.Changes)
	must(t, len(r.Ignored) == 1 && r.Ignored[0].AMI == baked2019 && strings.Contains(r.Ignored[0].Reason, "on Windows 2019-core, not the image's 2022-core"), "ignored: %+v", r.Ignored)
	must(t, strings.Contains(string(r.Contents["eksctl/cluster.yaml"]), baked2019), "the 2019 node group was moved")
}

// The AMI an image build starts from is not a node group's: replaced by
// the baked AMI, the next build would bake on top of its own output.
// Packer's amazon-ebs source_ami (HCL and legacy JSON templates) and an
// Image Builder recipe's parent image are left alone, with the reason.
func TestBuildBaseAMIsStay(t *testing.T) {
	seedAWS(t)
	root := writeTree(t, map[string]string{
		"packer/windows.pkr.hcl": `source "amazon-ebs" "eks_windows" {
  ami_name      = "eks-windows-custom-{{timestamp}}"
  instance_type = "m5.large"
  region        = "us-east-1"
  source_ami    = "` + stockEast + `"
  communicator  = "winrm"
}

build {
  sources = ["source.amazon-ebs.eks_windows"]
}
`,
		"packer/legacy.json": `{
  "builders": [{"type": "amazon-ebs", "region": "us-east-1", "source_ami": "` + stockEast + `", "instance_type": "m5.large"}]
}
`,
		"terraform/imagebuilder.tf": `resource "aws_imagebuilder_image_recipe" "win" {
  name         = "eks-windows"
  parent_image = "` + stockEast + `"
  version      = "1.0.0"
}
`,
		"terraform/nodes.tf": "resource \"aws_launch_template\" \"win\" {\n  image_id = \"" + stockEast + "\"\n}\n",
	})
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Contents) == 1 && r.Contents["terraform/nodes.tf"] != nil, "rewritten: %v", keys(r.Contents))
	left := map[string]string{}
	for _, s := range r.Ignored {
		left[s.File+" "+s.Where] = s.Reason
	}
	for _, k := range []string{"packer/windows.pkr.hcl source.amazon-ebs.eks_windows.source_ami", "packer/legacy.json builders[0].source_ami", "terraform/imagebuilder.tf aws_imagebuilder_image_recipe.win.parent_image"} {
		must(t, strings.Contains(left[k], "the base AMI of an image build"), "%s: %q (ignored: %v)", k, left[k], left)
	}
}

// terraform-aws-eks (modules/self-managed-node-group/main.tf) reads the
// SSM parameter of ami_type with ${local.ssm_kubernetes_version} in its
// name, and takes it only when ami_id is not set. A node group that sets
// ami_id is pinned, whatever its ami_type; a lookup table of AMI types is
// not a node group; a name_regex's escaped dots still give the version.
func TestFloatingTerraformModuleForms(t *testing.T) {
	got := notesOf("main.tf", `locals {
  ami_type_to_ssm_param = {
    WINDOWS_CORE_2022_x86_64 = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-${local.ssm_kubernetes_version}/image_id"
  }
}

data "aws_ssm_parameter" "windows" {
  name = "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-${var.cluster_version}/image_id"
}

data "aws_ami" "regex" {
  owners     = ["amazon"]
  name_regex = "^Windows_Server-2022-English-Core-EKS_Optimized-1\\.29-\\d+"
}

module "eks" {
  source = "terraform-aws-modules/eks/aws"
  self_managed_node_groups = {
    windows_pinned = {
      ami_type = "WINDOWS_CORE_2022_x86_64"
      ami_id   = lookup(local.windows_amis, var.region)
    }
    windows_stock = {
      ami_type = "WINDOWS_CORE_2022_x86_64"
      ami_id   = null
    }
  }
}
`)
	want := []string{
		"reads `/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-${local.ssm_kubernetes_version}/image_id`",
		"reads `/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-${var.cluster_version}/image_id`",
		"Terraform data.aws_ami.regex picks the newest stock EKS-optimized AMI by name at each plan, never the baked one; this image's variant (2022-core) but Kubernetes 1.29, not 1.31",
		"AMI type `WINDOWS_CORE_2022_x86_64`",
	}
	must(t, len(got) == len(want), "notes:\n%s", strings.Join(got, "\n"))
	for i := range min(len(got), len(want)) {
		must(t, strings.Contains(got[i], want[i]), "note %d: %q, want %q", i, got[i], want[i])
	}
}

// A UTF-8 BOM (Windows PowerShell 5.1 writes one) and CRLF line ends do
// not stop a JSON file from being read: its AMIs are placed, and no note
// says it does not parse.
func TestJSONWithBOMIsPlaced(t *testing.T) {
	seedAWS(t)
	body := "\xef\xbb\xbf{\r\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\r\n  \"Mappings\": {\"RegionMap\": {\"us-east-1\": {\"WindowsAmi\": \"" + stockEast + "\"}}}\r\n}"
	root := writeTree(t, map[string]string{"cfn/nodes.json": body})
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Changes) == 1 && r.Changes[0].Where == "CloudFormation: Mappings.RegionMap.us-east-1.WindowsAmi", "changes: %+v", r.Changes)
	must(t, len(r.Notes) == 0, "notes: %q", r.Notes)
	must(t, string(r.Contents["cfn/nodes.json"]) == strings.Replace(body, stockEast, newEast, 1), "rewritten: %q", r.Contents["cfn/nodes.json"])
}

// Karpenter takes the newest AMI its amiSelectorTerms match: a term that
// selects the stock EKS-optimized Windows AMIs by name floats, in v1 and
// v1beta1 alike; a term pinning an ID does not.
func TestFloatingKarpenterNameTerm(t *testing.T) {
	got := notesOf("nodeclass.yaml", `apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: windows-by-name
spec:
  amiFamily: Windows2022
  role: KarpenterNodeRole-prod
  amiSelectorTerms:
    - name: "Windows_Server-2022-English-Core-EKS_Optimized-1.30-*"
      owner: amazon
---
apiVersion: karpenter.k8s.aws/v1
kind: EC2NodeClass
metadata:
  name: windows-pinned
spec:
  amiFamily: Windows2022
  amiSelectorTerms:
    - id: ami-0123456789abcdef0
`)
	must(t, len(got) == 1 && strings.Contains(got[0], "Karpenter EC2NodeClass windows-by-name: amiSelectorTerms name `Windows_Server-2022-English-Core-EKS_Optimized-1.30-*` picks the newest stock EKS-optimized AMI by name") &&
		strings.Contains(got[0], "Kubernetes 1.30, not 1.31"), "notes: %q", got)
}

// An AMI type chosen by a Terraform conditional is a value, not a key.
func TestFloatingAMITypeInConditional(t *testing.T) {
	got := notesOf("nodes.tf", `resource "aws_eks_node_group" "win" {
  ami_type = var.full ? "WINDOWS_FULL_2022_x86_64" : "WINDOWS_CORE_2022_x86_64"
}
`)
	must(t, len(got) == 2 && strings.Contains(got[0], "WINDOWS_FULL_2022_x86_64") && strings.Contains(got[1], "WINDOWS_CORE_2022_x86_64"), "notes: %q", got)
}

// A file the scan cannot read (removed since the walk saw it, or
// refused) may hold a lineage AMI: it is named with the reason, never
// passed over in silence.
func TestUnreadableFileIsNamed(t *testing.T) {
	var buf []byte
	f, ok := scanFile(filepath.Join(t.TempDir(), "gone.tf"), "gone.tf", "", &buf)
	must(t, ok && f.Path == "gone.tf" && f.Skip == "could not be read: no such file or directory", "scanned: %+v %v", f, ok)
	r := &Result{}
	r.skipFile(f, nil, Lineage{}, nil, f.Skip)
	must(t, len(r.Skipped) == 1 && r.Skipped[0].File == "gone.tf", "skipped: %+v", r.Skipped)
}

// An EC2NodeClass written as a Terraform kubernetes_manifest object floats
// on its alias as the YAML one does.
func TestFloatingAliasInTerraformManifest(t *testing.T) {
	got := notesOf("karpenter.tf", `resource "kubernetes_manifest" "windows" {
  manifest = {
    apiVersion = "karpenter.k8s.aws/v1"
    kind       = "EC2NodeClass"
    metadata   = { name = "windows2022" }
    spec = {
      role             = "KarpenterNodeRole-prod"
      amiSelectorTerms = [{ alias = "windows2022@latest" }]
    }
  }
}
`)
	must(t, len(got) == 1 && strings.Contains(got[0], "Karpenter alias `windows2022@latest`") && strings.Contains(got[0], "this image's variant (2022-core)"), "notes: %q", got)
}

// eksctl's ami: auto picks the newest stock AMI by name (its AutoResolver
// calls DescribeImages), not from SSM as auto-ssm and no ami: do.
func TestFloatingEksctlAutoIsByName(t *testing.T) {
	got := notesOf("cluster.yaml", `apiVersion: eksctl.io/v1alpha5
kind: ClusterConfig
metadata:
  name: prod
  version: "1.31"
nodeGroups:
  - name: win-auto
    amiFamily: WindowsServer2022CoreContainer
    ami: auto
  - name: win-ssm
    amiFamily: WindowsServer2022CoreContainer
    ami: auto-ssm
`)
	must(t, len(got) == 2 && strings.Contains(got[0], "with `ami: auto`: eksctl takes the stock EKS-optimized AMI by name, the newest,") &&
		strings.Contains(got[1], "with `ami: auto-ssm`: eksctl takes the stock EKS-optimized AMI from SSM,"), "notes: %q", got)
}
