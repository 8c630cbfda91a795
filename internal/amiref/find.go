package amiref

import (
	"context"
	"fmt"

	"github.com/winbake/winbake/internal/config"
)

// Request says where to look for an image's AMI references and what to
// replace them with.
type Request struct {
	Root           string
	Paths, Exclude []string
	// Config is the winbake config file in use, relative to Root ("" when
	// it lives elsewhere): it is never rewritten.
	Config string
	EC2    func(region string) EC2API
	Image  config.Image
	// Image is the image bumped, its Kubernetes version the new AMIs'.
	// Regions are where lineage is looked up: the image's regions and
	// those of the new AMIs.
	Regions []string
	// NewAMIs are the new AMIs by region.
	NewAMIs map[string]string
}

// Find scans the repository, decides which AMIs found are of the image's
// lineage, and prepares their rewrites. It writes nothing.
func Find(ctx context.Context, q Request) (*Result, error) {
	files, err := Scan(ctx, q.Root, Scope{Paths: q.Paths, Exclude: q.Exclude, Config: q.Config})
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", q.Root, err)
	}
	found := FoundAMIs(files)
	lineage, ignored := Lineage{}, map[string]string{}
	if len(found) > 0 {
		lineage, ignored, err = LookupLineage(ctx, q.EC2, q.Image, q.Regions, found)
		if err != nil {
			return nil, err
		}
	}
	return Prepare(q.Root, files, lineage, ignored, q.NewAMIs, q.Image)
}
