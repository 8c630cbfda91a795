package bake

import (
	"fmt"

	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/config"
)

// The shape of bake.json lives in bakefile, which the builders beneath
// this package fill in; these names let the stage's callers speak of it
// as bake.File and bake.Image.
type (
	// File is bake.json.
	File = bakefile.File
	// Image is one baked image.
	Image = bakefile.Image
	// AMI is the new AMI in one region.
	AMI = bakefile.AMI
	// Cached is one image baked into the AMI.
	Cached = bakefile.Cached
)

// Read loads and checks a bake.json.
func Read(file string) (*File, error) { return bakefile.Read(file) }

// ReadFor loads a bake.json and checks that cfg lists each of its images.
func ReadFor(cfg *config.Config, file string) (*File, error) {
	f, err := bakefile.Read(file)
	if err != nil {
		return nil, err
	}
	for _, img := range f.Images {
		if _, ok := cfg.Image(img.Name); !ok {
			return nil, fmt.Errorf("%s holds image %q, which %s does not list", file, img.Name, cfg.Source)
		}
	}
	return f, nil
}
