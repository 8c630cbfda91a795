package components

import (
	"fmt"
	"path"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
)

// Pins are what a plan fixed for one image: the base AMI of its build
// region, the platform-manifest digest of each cache reference and, when
// its tag named a multi-platform index, that index's digest.
type Pins struct {
	BaseAMI string
	Digests map[string]string
	Indexes map[string]string
}

// PinsOf reads the pins of one image from its plan.
func PinsOf(img config.Image, ip plan.Image) Pins {
	base, _ := ip.BaseAMIIn(img.BuildRegion())
	p := Pins{BaseAMI: base.AMI, Digests: ip.Digests(), Indexes: map[string]string{}}
	for _, c := range ip.Cache {
		if c.IndexDigest != "" {
			p.Indexes[c.Ref] = c.IndexDigest
		}
	}
	return p
}

// Rendered file names, under a folder named after the image.
const (
	ComponentFile  = "component.yaml"
	RecipeFile     = "recipe.json"
	PackerVarsFile = "winbake.pkrvars.json"
)

// Render produces every document of every image, keyed by relative path.
// Nothing is written; a caller writes the files only if all rendered.
func Render(cfg *config.Config, pins map[string]Pins, account string) (map[string][]byte, error) {
	if account == "" {
		account = AccountPlaceholder
	}
	files := map[string][]byte{}
	for _, img := range cfg.Images {
		p := pins[img.Name]
		cache, err := CacheImagesOf(img, p)
		if err != nil {
			return nil, err
		}
		doc, err := Component(img, cache)
		if err != nil {
			return nil, err
		}
		recipe, err := MarshalRecipe(NewRecipe(img, ComponentARN(img.BuildRegion(), account, img.Name, "x.x.x"), ParentImage(img, p.BaseAMI)))
		if err != nil {
			return nil, fmt.Errorf("encoding the recipe of %s: %w", img.Name, err)
		}
		vars, err := NewPackerVars(cfg, img, p.BaseAMI, p.Digests, p.Indexes)
		if err != nil {
			return nil, fmt.Errorf("encoding the Packer variables of %s: %w", img.Name, err)
		}
		files[path.Join(img.Name, ComponentFile)] = doc
		files[path.Join(img.Name, RecipeFile)] = recipe
		files[path.Join(img.Name, PackerVarsFile)] = vars
	}
	return files, nil
}

// CacheImagesOf lists an image's cache references as the scripts take them.
func CacheImagesOf(img config.Image, pins Pins) ([]CacheImage, error) {
	out := make([]CacheImage, 0, len(img.Cache))
	for _, ref := range img.Cache {
		ci, err := NewCacheImage(ref, pins.Digests[ref])
		if err == nil {
			ci, err = ci.WithIndex(pins.Indexes[ref])
		}
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", img.Name, err)
		}
		out = append(out, ci)
	}
	return out, nil
}
