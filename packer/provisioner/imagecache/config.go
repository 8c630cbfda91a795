//go:generate packer-sdc mapstructure-to-hcl2 -type Config

// Package imagecache is the winbake-image-cache Packer provisioner: it runs
// winbake's cache-images.ps1 on a Windows build instance over WinRM, the
// same script EC2 Image Builder runs, to pre-pull container images into
// containerd.
package imagecache

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/packer-plugin-sdk/common"
	"github.com/hashicorp/packer-plugin-sdk/template/config"
	"github.com/hashicorp/packer-plugin-sdk/template/interpolate"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/windows"
)

// Config is the provisioner's configuration.
type Config struct {
	common.PackerConfig `mapstructure:",squash"`

	// Images to cache: references, optionally pinned as repo:tag@sha256:...
	Images []string `mapstructure:"images"`
	// IndexDigests gives, for an entry of Images whose tag names a
	// multi-platform index, that index's digest (sha256:...): the image is
	// also named repo@<index digest>, the digest kubelet records when it
	// pulls by tag and that pods pinned to it look for.
	IndexDigests map[string]string `mapstructure:"index_digests"`
	// PlanFile is a plan.json from winbake plan; its pinned images of
	// ImageName are cached (in addition to Images).
	PlanFile string `mapstructure:"plan_file"`
	// ImageName picks the image of the plan.
	ImageName string `mapstructure:"image_name"`
	// WindowsVariant of the build instance (2022-core...); a plan for
	// another Windows build is refused.
	WindowsVariant string `mapstructure:"windows_variant"`
	// Pin labels cached images io.cri-containerd.pinned=pinned. Default true.
	Pin *bool `mapstructure:"pin"`
	// MaxAttempts of each pull. Default 5.
	MaxAttempts int `mapstructure:"max_attempts"`
	// RetryDelay before the second pull attempt, doubling after. Default 15s.
	RetryDelay time.Duration `mapstructure:"retry_delay"`
	// Timeout of the whole step. Default 2h.
	Timeout time.Duration `mapstructure:"timeout"`
	// RemoteDir receives the script and the image list.
	RemoteDir string `mapstructure:"remote_dir"`
	// ExecuteCommand runs the script; {{.Path}}, {{.ImagesFile}},
	// {{.MaxAttempts}}, {{.DelaySeconds}} and {{.Pin}} (1 or 0) are
	// filled in.
	ExecuteCommand string `mapstructure:"execute_command"`

	ctx interpolate.Context
}

// DefaultExecuteCommand runs the script with Windows PowerShell. -File hands
// every argument to the script as a string (about_PowerShell_exe), so each
// one is a number or a path: -Pin is 1 or 0, never $true.
const DefaultExecuteCommand = `powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "{{.Path}}" -ImagesFile "{{.ImagesFile}}" -MaxAttempts {{.MaxAttempts}} -InitialDelaySeconds {{.DelaySeconds}} -Pin {{.Pin}}`

func (c *Config) prepare(raws ...any) ([]components.CacheImage, error) {
	err := config.Decode(c, &config.DecodeOpts{
		PluginType:         "winbake-image-cache",
		Interpolate:        true,
		InterpolateContext: &c.ctx,
		InterpolateFilter:  &interpolate.RenderFilter{Exclude: []string{"execute_command"}},
	}, raws...)
	if err != nil {
		return nil, err
	}
	if c.Pin == nil {
		t := true
		c.Pin = &t
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = 5
	}
	if c.RetryDelay == 0 {
		c.RetryDelay = 15 * time.Second
	}
	if c.Timeout == 0 {
		c.Timeout = 2 * time.Hour
	}
	if c.RemoteDir == "" {
		c.RemoteDir = "C:/Windows/Temp/winbake"
	}
	if c.ExecuteCommand == "" {
		c.ExecuteCommand = DefaultExecuteCommand
	}

	var errs []error
	if c.MaxAttempts < 1 || c.MaxAttempts > 20 {
		errs = append(errs, fmt.Errorf("max_attempts: %d is out of range; expected 1 to 20", c.MaxAttempts))
	}
	if c.RetryDelay < time.Second || c.RetryDelay > 10*time.Minute {
		errs = append(errs, fmt.Errorf("retry_delay: %s is out of range; expected 1s to 10m", c.RetryDelay))
	}
	var variant windows.Variant
	if c.WindowsVariant != "" {
		v, ok := windows.Lookup(c.WindowsVariant)
		if !ok {
			errs = append(errs, fmt.Errorf("windows_variant: %q is not a Windows variant; expected one of %s", c.WindowsVariant, strings.Join(windows.Names(), ", ")))
		}
		variant = v
	}
	var images []components.CacheImage
	for _, ref := range slices.Sorted(maps.Keys(c.IndexDigests)) {
		if !slices.Contains(c.Images, ref) {
			errs = append(errs, fmt.Errorf("index_digests: %q is not one of images", ref))
		}
	}
	for i, ref := range c.Images {
		img, err := components.NewCacheImage(ref, "")
		if err == nil {
			img, err = img.WithIndex(c.IndexDigests[ref])
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("images[%d]: %w", i, err))
			continue
		}
		images = append(images, img)
	}
	if c.PlanFile != "" {
		planned, err := fromPlan(c.PlanFile, c.ImageName, variant)
		if err != nil {
			errs = append(errs, err)
		}
		images = append(images, planned...)
	}
	if len(images) == 0 && len(errs) == 0 {
		errs = append(errs, errors.New("images: nothing to cache; list images or give a plan_file"))
	}
	return images, errors.Join(errs...)
}

// fromPlan reads the pinned images of one image of a plan, refusing a plan
// made for another Windows build than the instance's.
func fromPlan(file, name string, v windows.Variant) ([]components.CacheImage, error) {
	p, err := plan.Read(file)
	if err != nil {
		return nil, fmt.Errorf("plan_file: %w", err)
	}
	if name == "" && len(p.Images) == 1 {
		name = p.Images[0].Name
	}
	ip, ok := p.Find(name)
	if !ok {
		return nil, fmt.Errorf("plan_file: %s has no image %q; set image_name", file, name)
	}
	if v.Build != "" && ip.Build != v.Build {
		return nil, fmt.Errorf("plan_file: %s pinned %s for Windows build %s, but the instance is %s (build %s); re-run winbake plan", file, name, ip.Build, v.Name, v.Build)
	}
	var out []components.CacheImage
	for _, c := range ip.Cache {
		img, err := components.NewCacheImage(c.Ref, c.Digest)
		if err == nil {
			img, err = img.WithIndex(c.IndexDigest)
		}
		if err != nil {
			return nil, fmt.Errorf("plan_file: %w", err)
		}
		out = append(out, img)
	}
	return out, nil
}
