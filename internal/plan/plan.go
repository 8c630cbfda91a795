// Package plan decides what a bake will do before it starts: the base AMI
// of every image and region, read from AWS's public SSM parameters, and
// every image to cache pinned to the digest of its variant for the node's
// Windows build, with its compressed size and what it shares.
package plan

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/registry"
)

// FormatVersion is the version of plan.json's shape.
const FormatVersion = 1

// Plan is plan.json: the contract between review and bake.
type Plan struct {
	Version int     `json:"version"`
	Images  []Image `json:"images"`
}

// Image is the plan of one configured image.
type Image struct {
	Name         string       `json:"name"`
	Kubernetes   string       `json:"kubernetes"`
	Windows      string       `json:"windows"`
	Build        string       `json:"build"`
	Updates      bool         `json:"updates"`
	SSMParameter string       `json:"ssmParameter"`
	BaseAMIs     []BaseAMI    `json:"baseAMIs"`
	Cache        []CacheImage `json:"cache"`
	Totals       Totals       `json:"totals"`
	// BaseImages are the Windows base images the AMI already holds, whose
	// layers a node never pulls; empty when they could not be read.
	BaseImages []string `json:"baseImages"`
	// Warnings are what makes the plan's figures less than exact, such as
	// a base image that could not be read.
	Warnings []string `json:"warnings,omitempty"`
}

// BaseAMI is the EKS-optimized AMI an image starts from in one region.
type BaseAMI struct {
	Region  string `json:"region"`
	AMI     string `json:"ami"`
	Name    string `json:"name"`
	Created string `json:"created"`
}

// CacheImage is one pinned image to cache, with its sizes.
type CacheImage struct {
	registry.Image
	// Size is the compressed size of all its layers.
	Size int64 `json:"size"`
	// BaseBytes are in layers the AMI's Windows base images already hold.
	BaseBytes int64 `json:"baseBytes"`
	// SharedBytes are in layers shared with other cached images.
	SharedBytes int64 `json:"sharedBytes"`
	// PullBytes are what this image adds to a node's pull, in list order:
	// its layers that are neither on the AMI nor in an image before it.
	PullBytes int64 `json:"pullBytes"`
	// SharedWith names the other cached images sharing layers with it.
	SharedWith []string `json:"sharedWith,omitempty"`
	// Note says when the pinned variant is not of the node's own build:
	// a 2022 or newer node runs older builds down to 20348.
	Note string `json:"note,omitempty"`
}

// Totals sum an image's cache, counting each layer once.
type Totals struct {
	// Compressed is every cached image's size, as if pulled one by one.
	Compressed int64 `json:"compressed"`
	// Base is what the cache shares with the base images on the AMI.
	Base int64 `json:"base"`
	// Pull is what a new node without the cache pulls before all these
	// images can start: each layer once, less the base layers. The cache
	// spares every new node exactly this.
	Pull int64 `json:"pull"`
}

// BaseAMIIn returns the base AMI of a region.
func (i Image) BaseAMIIn(region string) (BaseAMI, bool) {
	for _, b := range i.BaseAMIs {
		if b.Region == region {
			return b, true
		}
	}
	return BaseAMI{}, false
}

// Digests maps each cache reference to its pinned manifest digest.
func (i Image) Digests() map[string]string {
	m := map[string]string{}
	for _, c := range i.Cache {
		m[c.Ref] = c.Digest
	}
	return m
}

// Find returns the plan of the image called name.
func (p *Plan) Find(name string) (Image, bool) {
	for _, i := range p.Images {
		if i.Name == name {
			return i, true
		}
	}
	return Image{}, false
}

// Write saves the plan as indented JSON.
func (p *Plan) Write(file string) error {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the plan: %w", err)
	}
	return nil
}

// Read loads a plan.json.
func Read(file string) (*Plan, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not a plan: %w", file, err)
	}
	if p.Version != FormatVersion {
		return nil, fmt.Errorf("%s is a plan of version %d; this winbake reads version %d (re-run winbake plan)", file, p.Version, FormatVersion)
	}
	return &p, nil
}

// Covers checks that the plan is for this config: every image, its
// variant, Kubernetes version, regions and every cache reference, so that
// what is baked is what was reviewed.
func (p *Plan) Covers(cfg *config.Config) error {
	for _, img := range cfg.Images {
		ip, ok := p.Find(img.Name)
		if !ok {
			return fmt.Errorf("no plan for image %s; re-run winbake plan", img.Name)
		}
		if ip.Windows != img.Windows || ip.Kubernetes != img.Kubernetes {
			return fmt.Errorf("planned %s for Windows %s and Kubernetes %s, but the config says %s and %s; re-run winbake plan", img.Name, ip.Windows, ip.Kubernetes, img.Windows, img.Kubernetes)
		}
		for _, r := range img.Regions {
			if b, ok := ip.BaseAMIIn(r); !ok || b.AMI == "" {
				return fmt.Errorf("no base AMI planned for %s in %s; re-run winbake plan", img.Name, r)
			}
		}
		digests := ip.Digests()
		for _, ref := range img.Cache {
			if digests[ref] == "" {
				return fmt.Errorf("no digest for %s of image %s; re-run winbake plan", ref, img.Name)
			}
		}
	}
	return nil
}
