// Package bakefile reads and writes bake.json: what a bake produced, per
// image, whichever builder made it. bump consumes it.
package bakefile

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/winbake/winbake/internal/config"
)

// FormatVersion is the version of bake.json's shape.
const FormatVersion = 1

// File is bake.json.
type File struct {
	Version int     `json:"version"`
	Images  []Image `json:"images"`
}

// Image is one baked image.
type Image struct {
	Name       string `json:"name"`
	Kubernetes string `json:"kubernetes"`
	Windows    string `json:"windows"`
	Updates    bool   `json:"updates"`
	Builder    string `json:"builder"` // imagebuilder or packer
	// AMIs are the new AMIs, one per region.
	AMIs []AMI `json:"amis"`
	// BuildVersionARN is the Image Builder image (empty for Packer).
	BuildVersionARN string   `json:"buildVersionArn,omitempty"`
	BaseAMI         string   `json:"baseAmi"`
	BaseAMIName     string   `json:"baseAmiName,omitempty"`
	SSMParameter    string   `json:"ssmParameter"`
	ComponentARN    string   `json:"componentArn,omitempty"`
	RecipeARN       string   `json:"recipeArn,omitempty"`
	Cache           []Cached `json:"cache"`
	Finished        string   `json:"finished"` // RFC 3339
}

// AMI is the new AMI in one region.
type AMI struct {
	Region string `json:"region"`
	AMI    string `json:"ami"`
	Name   string `json:"name,omitempty"`
}

// Cached is one image baked into the AMI.
type Cached struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// AMIIn returns the new AMI of a region.
func (i Image) AMIIn(region string) (string, bool) {
	for _, a := range i.AMIs {
		if a.Region == region {
			return a.AMI, true
		}
	}
	return "", false
}

// Find returns the image called name.
func (f *File) Find(name string) (Image, bool) {
	for _, i := range f.Images {
		if i.Name == name {
			return i, true
		}
	}
	return Image{}, false
}

// Put adds or replaces an image.
func (f *File) Put(img Image) {
	sort.Slice(img.AMIs, func(a, b int) bool { return img.AMIs[a].Region < img.AMIs[b].Region })
	for i := range f.Images {
		if f.Images[i].Name == img.Name {
			f.Images[i] = img
			return
		}
	}
	f.Images = append(f.Images, img)
}

// Write saves the file as indented JSON.
func (f *File) Write(file string) error {
	f.Version = FormatVersion
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(file, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return nil
}

// Read loads and checks a bake.json.
func Read(file string) (*File, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the bake file: %w", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s is not a bake file: %w", file, err)
	}
	if f.Version != FormatVersion {
		return nil, fmt.Errorf("%s is a bake file of version %d; this winbake reads version %d (give the bake.json winbake bake wrote, or bake again)", file, f.Version, FormatVersion)
	}
	for i, img := range f.Images {
		if img.Name == "" || len(img.AMIs) == 0 {
			return nil, fmt.Errorf("%s: images[%d] has no name or no AMIs", file, i)
		}
		for j, a := range img.AMIs {
			if !config.AMIPattern.MatchString(a.AMI) || a.Region == "" {
				return nil, fmt.Errorf("%s: images[%d].amis[%d]: %q in %q is not an AMI ID and region", file, i, j, a.AMI, a.Region)
			}
		}
	}
	return &f, nil
}
