package report

import (
	"flag"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/testing/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name), []byte(got), *update)
}

// testPlan is shaped like the EKS guide's example: a fluentd image whose
// bulk is the Windows Server Core base the AMI already holds.
func testPlan() *plan.Plan {
	base := registry.Layer{Digest: "sha256:" + repeat("b"), Size: 1_600_000_000}
	fluentd := plan.CacheImage{
		Image: registry.Image{Ref: "123456789012.dkr.ecr.us-east-1.amazonaws.com/fluentd-windows:1.17", IndexDigest: "sha256:" + repeat("1"),
			Digest: "sha256:" + repeat("2"), OSVersion: "10.0.17763.6414",
			Layers: []registry.Layer{base, {Digest: "sha256:" + repeat("c"), Size: 533_000_000}}},
		Size: 2_133_000_000, BaseBytes: 1_600_000_000, PullBytes: 533_000_000,
	}
	p := &plan.Plan{Version: 1, Images: []plan.Image{{
		Name: "win2019", Kubernetes: "1.31", Windows: "2019-core", Build: "10.0.17763", Updates: true,
		SSMParameter: "/aws/service/ami-windows-latest/Windows_Server-2019-English-Core-EKS_Optimized-1.31/image_id",
		BaseAMIs:     []plan.BaseAMI{{Region: "us-east-1", AMI: "ami-0123456789abcdef0", Name: "Windows_Server-2019-English-Core-EKS_Optimized-1.31-2026.11.12", Created: "2026-11-12T09:00:00Z"}},
		Cache:        []plan.CacheImage{fluentd},
		Totals:       plan.Totals{Compressed: 2_133_000_000, Base: 1_600_000_000, Pull: 533_000_000},
		BaseImages:   []string{"mcr.microsoft.com/windows/servercore:ltsc2019"},
	}}}
	return p
}

func repeat(s string) string {
	out := ""
	for range 64 {
		out += s
	}
	return out
}

func TestPlanMarkdown(t *testing.T) {
	golden(t, "plan.md", PlanMarkdown(testPlan()))
}

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1536: "1.5 KiB", 533_000_000: "508.3 MiB", 6_960_000_000: "6.5 GiB"} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %s, want %s", n, got, want)
		}
	}
}

func testBake() bakefile.Image {
	return bakefile.Image{Name: "win", Kubernetes: "1.31", Windows: "2022-core", Updates: true, Builder: "imagebuilder",
		AMIs:    []bakefile.AMI{{Region: "eu-west-1", AMI: "ami-02222222222222222"}, {Region: "us-east-1", AMI: "ami-01111111111111111"}},
		BaseAMI: "ami-0e0e0e0e0e0e0e0e1", BaseAMIName: "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.11.12",
		SSMParameter:    "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id",
		BuildVersionARN: "arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-win/1.0.2/1",
		Cache:           []bakefile.Cached{{Ref: "mcr.microsoft.com/windows/nanoserver:ltsc2022", Digest: "sha256:" + repeat("a"), Size: 120 << 20}},
		Finished:        "2026-11-14T10:00:00Z"}
}

func TestPRBody(t *testing.T) {
	r := &amiref.Result{
		Changes: []amiref.Change{
			{File: "terraform/main.tf", Line: 11, Where: "aws_launch_template.win.image_id", Region: "us-east-1", Old: "ami-0e0e0e0e0e0e0e0e1", New: "ami-01111111111111111"},
			{File: "eksctl/cluster.yaml", Line: 9, Where: "eksctl ClusterConfig prod: nodeGroups[name=win].ami", Region: "eu-west-1", Old: "ami-0b0b0b0b0b0b0b0b2", New: "ami-02222222222222222"},
		},
		Ignored:   []amiref.Skip{{File: "terraform/main.tf", Line: 20, AMI: "ami-0a1a1a1a1a1a1a1a1", Reason: "not of win's lineage"}},
		Uncovered: []amiref.Skip{{File: "cfn/stack.yaml", Line: 14, Where: "CloudFormation: Mappings.RegionMap.ap-south-1.ami", AMI: "ami-0d0d0d0d0d0d0d0d4", Reason: "EKS-optimized Windows 2022-core, in ap-south-1, where no new AMI was baked"}},
		Notes:     []string{"eksctl/cluster.yaml:12: eksctl `ami: auto-ssm`: takes the stock EKS AMI from SSM, not the baked one"},
	}
	_, body := PR(testBake(), "ami-01111111111111111", r)
	golden(t, "pr-body.md", body)
	golden(t, "dry-run.txt", DryRun("win", r))
}

func TestPRBodyStaysUnderGitHubsLimit(t *testing.T) {
	r := &amiref.Result{}
	for i := range 3000 {
		r.Changes = append(r.Changes, amiref.Change{File: fmt.Sprintf("stacks/team-%03d/nodes.tf", i%40), Line: i + 1, Where: "aws_launch_template.win.image_id",
			Region: "us-east-1", Old: "ami-0e0e0e0e0e0e0e0e1", New: "ami-01111111111111111"})
	}
	_, body := PR(testBake(), "ami-01111111111111111", r)
	if len(body) > MaxPRBody {
		t.Fatalf("body is %d characters", len(body))
	}
	if !strings.Contains(body, "more change(s) in 40 file(s)") || !strings.Contains(body, "<!-- winbake:image=win ami=ami-01111111111111111 -->") {
		t.Errorf("long body not summarized or lost its marker:\n%s", body[len(body)-2000:])
	}
}

// The marker a PR body carries is what the searches for it find: any PR of
// the image, or only the one that proposed a given AMI.
func TestPRMarkerIsFoundBySearch(t *testing.T) {
	_, body := PR(testBake(), "ami-01111111111111111", &amiref.Result{})
	if !strings.HasPrefix(body, PRMarker("win", "ami-01111111111111111")+"\n") {
		t.Fatalf("body does not start with its marker:\n%s", body[:200])
	}
	for search, want := range map[string]bool{
		PRMarkerSearch("win", ""):                      true,
		PRMarkerSearch("win", "ami-01111111111111111"): true,
		PRMarkerSearch("win", "ami-02222222222222222"): false,
		PRMarkerSearch("wi", ""):                       false,
		PRMarkerSearch("win2", ""):                     false,
	} {
		if got := strings.Contains(body, search); got != want {
			t.Errorf("body contains %q: %v, want %v", search, got, want)
		}
	}
}

// A node group moved from an AMI of an earlier Kubernetes minor, and a file
// left alone with a lineage AMI in it, are told in the dry run and loudly
// in the pull request.
func TestMinorChangeAndSkippedFilesAreTold(t *testing.T) {
	r := &amiref.Result{
		Kubernetes: "1.31",
		Changes: []amiref.Change{{File: "eksctl/old.yaml", Line: 9, Where: "eksctl ClusterConfig old: nodeGroups[name=win].ami", Region: "us-east-1",
			Old: "ami-0b0b0b0b0b0b0b0b3", New: "ami-01111111111111111", FromKubernetes: "1.29"}},
		Skipped: []amiref.SkippedFile{{File: "terraform/terraform.tfstate", Reason: "Terraform state: written by Terraform, never by hand", AMIs: []string{"ami-0e0e0e0e0e0e0e0e1"}}},
	}
	body := prBody(testBake(), "ami-01111111111111111", r)
	dry := DryRun("win", r)
	for _, want := range []string{"> [!WARNING]", "move node groups to Kubernetes 1.31 from an earlier minor", "`eksctl/old.yaml:9`", "(Kubernetes 1.29)",
		"`terraform/terraform.tfstate` left alone: Terraform state: written by Terraform, never by hand; holds ami-0e0e0e0e0e0e0e0e1"} {
		if !strings.Contains(body, want) {
			t.Errorf("PR body lacks %q:\n%s", want, body)
		}
	}
	for _, want := range []string{"WARNING: 1 change(s) move node groups to another Kubernetes minor", "ami-0b0b0b0b0b0b0b0b3: Kubernetes 1.29 → 1.31",
		"files left alone:\n  terraform/terraform.tfstate  Terraform state"} {
		if !strings.Contains(dry, want) {
			t.Errorf("dry run lacks %q:\n%s", want, dry)
		}
	}
}

// Thousands of references to one ignored AMI in a generated file make one
// line of the dry run, with their count and lines.
func TestDryRunCountsLongRunsOfIgnored(t *testing.T) {
	r := &amiref.Result{}
	for i := range 5000 {
		r.Ignored = append(r.Ignored, amiref.Skip{File: "cdk.out/stack.json", Line: 1, Where: fmt.Sprintf("CloudFormation: Resources.LT%d.Properties.LaunchTemplateData.ImageId", i), AMI: "ami-0a1a1a1a1a1a1a1a1", Reason: "not of win's lineage"})
	}
	r.Ignored = append(r.Ignored, amiref.Skip{File: "main.tf", Line: 3, Where: "aws_instance.bastion.ami", AMI: "ami-12345678", Reason: "not found"})
	got := DryRun("win", r)
	want := "left alone:\n  cdk.out/stack.json:1-1  5000 references  ami-0a1a1a1a1a1a1a1a1: not of win's lineage\n  main.tf:3  aws_instance.bastion.ami  ami-12345678: not found\n"
	if !strings.HasSuffix(got, want) {
		t.Errorf("dry run:\n%s", got)
	}
}

// Every reference left alone is named with its reason in the pull request
// too (a stock AMI of another minor is a node group the reviewer should
// see), folded so it does not bury the changes, and a long list is cut
// with a count so the body fits.
func TestPRBodyNamesReferencesLeftAlone(t *testing.T) {
	r := &amiref.Result{Ignored: []amiref.Skip{
		{File: "terraform/main.tf", Line: 8, Where: "locals.legacy_windows_ami", AMI: "ami-0c0c0c0c0c0c0c0c3", Reason: "the EKS-optimized Windows 2022-core AMI for Kubernetes 1.29, not 1.31"},
		{File: "packer/win.pkr.hcl", Line: 5, Where: "source.amazon-ebs.win.source_ami", AMI: "ami-0e0e0e0e0e0e0e0e1", Reason: "the base AMI of an image build"},
	}}
	body := prBody(testBake(), "ami-01111111111111111", r)
	for _, want := range []string{"<summary>2 AMI reference(s) left alone, with the reason</summary>",
		"- `terraform/main.tf:8` locals.legacy_windows_ami `ami-0c0c0c0c0c0c0c0c3`: the EKS-optimized Windows 2022-core AMI for Kubernetes 1.29, not 1.31",
		"- `packer/win.pkr.hcl:5` source.amazon-ebs.win.source_ami `ami-0e0e0e0e0e0e0e0e1`: the base AMI of an image build"} {
		if !strings.Contains(body, want) {
			t.Errorf("PR body lacks %q:\n%s", want, body)
		}
	}
	for i := range 5000 {
		r.Ignored = append(r.Ignored, amiref.Skip{File: fmt.Sprintf("stacks/team-%04d/main.tf", i), Line: 3, Where: "aws_instance.bastion.ami", AMI: "ami-12345678", Reason: "not found in us-east-1 (another region or account)"})
	}
	body = prBody(testBake(), "ami-01111111111111111", r)
	if len(body) > MaxPRBody || !strings.Contains(body, "more; `winbake bump --dry-run` lists them all") || !strings.Contains(body, "terraform/main.tf:8") {
		t.Errorf("long list not cut to fit (%d characters):\n%s", len(body), body[len(body)-1500:])
	}
}
