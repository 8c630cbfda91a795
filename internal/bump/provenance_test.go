package bump

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/report"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestProvenanceOfAMIsGivenByHand: bump --image/--ami tells where the AMI
// comes from by what EC2 knows (its tags and creation date), and leaves
// out what it does not know instead of printing blanks or guesses.
func TestProvenanceOfAMIsGivenByHand(t *testing.T) {
	s := awsfake.Start(t)
	created := time.Date(2026, 11, 12, 10, 4, 0, 0, time.UTC)
	tagged := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win-1.31-2026-11-12", Created: created, Tags: map[string]string{
		"winbake:image": "win", "winbake:kubernetes": "1.31", "winbake:windows": "2022-core", "winbake:base-ami": "ami-0e0e0e0e0e0e0e0e1",
		"winbake:updates": "false", "winbake:cache-count": "1", "winbake:cache/00": "mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:" + strings.Repeat("a", 64),
		"CreatedBy": "EC2 Image Builder", "Ec2ImageBuilderArn": "arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-win/1.0.0/1",
	}})
	bare := s.AddImage("us-east-1", awsfake.Image{Name: "golden-windows", Created: created})
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ec2 := func(r string) amiref.EC2API { return clients.EC2(r) }
	img := config.Image{Name: "win", Kubernetes: "1.31", Windows: "2022-core", Regions: []string{"us-east-1"}}
	res := &amiref.Result{}

	b, err := FromAMIs(context.Background(), ec2, img, []bake.AMI{{Region: "us-east-1", AMI: tagged}})
	if err != nil {
		t.Fatal(err)
	}
	title, body := report.PR(b, tagged, res)
	if title != "Bump win Windows AMI to "+tagged+" (1.31, 2026-11-12)" {
		t.Errorf("title %q", title)
	}
	for _, want := range []string{"- Kubernetes **1.31**, Windows **2022-core**, built with imagebuilder\n", "- Base AMI `ami-0e0e0e0e0e0e0e0e1`\n",
		"- Windows updates not applied\n", "- Build `arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-win/1.0.0/1`\n",
		"- Finished 2026-11-12T10:04:00Z\n", "| `mcr.microsoft.com/windows/nanoserver:ltsc2022` | `sha256:aaaa"} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}

	b, err = FromAMIs(context.Background(), ec2, img, []bake.AMI{{Region: "us-east-1", AMI: bare}})
	if err != nil {
		t.Fatal(err)
	}
	title, body = report.PR(b, bare, res)
	if title != "Bump win Windows AMI to "+bare+" (2026-11-12)" {
		t.Errorf("title %q", title)
	}
	for _, unknown := range []string{"Base AMI", "built with", "Built with", "Windows updates", "``", "hand"} {
		if strings.Contains(body, unknown) {
			t.Errorf("body claims %q for an AMI EC2 tells nothing of:\n%s", unknown, body)
		}
	}

	if _, err := FromAMIs(context.Background(), ec2, img, []bake.AMI{{Region: "us-east-1", AMI: "ami-0ffffffffffffffff"}}); err == nil || !strings.Contains(err.Error(), "EC2 knows no such AMI") {
		t.Errorf("unknown AMI: %v", err)
	}
}
