package bake

import (
	"context"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestPackerBakeRecordsTheAMIsCreationDate: the time of a Packer bake is
// the AMI's CreationDate in the build region, whenever it is asked.
func TestPackerBakeRecordsTheAMIsCreationDate(t *testing.T) {
	s := awsfake.Start(t)
	created := time.Date(2026, 11, 12, 9, 41, 7, 0, time.UTC)
	ami := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win-1.31-1763", Created: created, Tags: map[string]string{"winbake:image": "win"}})
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	img := config.Image{Name: "win", Regions: []string{"us-east-1"}}
	baked := Image{Name: "win", AMIs: []AMI{{Region: "us-east-1", AMI: ami}}, Finished: "2026-11-25T16:00:00Z"}
	got := amiCreated(context.Background(), func(r string) DescribeImagesAPI { return clients.EC2(r) }, img, baked)
	if got != "2026-11-12T09:41:07Z" {
		t.Errorf("finished %q, want the AMI's creation date", got)
	}
}
