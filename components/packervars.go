package components

import (
	"encoding/json"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/windows"
)

// PackerVars are the variables of packer/eks-windows.pkr.hcl, written as a
// .pkrvars.json file.
type PackerVars struct {
	ImageName         string   `json:"image_name"`
	KubernetesVersion string   `json:"kubernetes_version"`
	WindowsVariant    string   `json:"windows_variant"`
	SourceAMIParam    string   `json:"source_ami_parameter"`
	SourceAMI         string   `json:"source_ami"`
	BuildRegion       string   `json:"build_region"`
	AMIRegions        []string `json:"ami_regions"`
	VolumeSize        int      `json:"volume_size"`
	InstanceType      string   `json:"instance_type"`
	SubnetID          string   `json:"subnet_id"`
	WindowsUpdates    bool     `json:"windows_updates"`
	// FastLaunch* fill the template's fast_launch block.
	FastLaunch          bool `json:"fast_launch"`
	FastLaunchParallel  int  `json:"fast_launch_max_parallel_launches,omitempty"`
	FastLaunchSnapshots int  `json:"fast_launch_target_resource_count,omitempty"`
	// CacheImages are references, pinned as repo:tag@sha256:... when planned.
	CacheImages []string `json:"cache_images"`
	// CacheIndexDigests gives, for each entry of CacheImages whose tag named a
	// multi-platform index when planned, that index's digest: the node gets
	// the name repo@<index digest> too, which kubelet records when it pulls
	// by tag and pods pinned to it look for.
	CacheIndexDigests map[string]string `json:"cache_index_digests,omitempty"`
}

// NewPackerVars fills the Packer variables of an image. pinned holds the
// planned digest of each cache reference, if any, and indexes the digest of
// the index its tag named.
func NewPackerVars(cfg *config.Config, img config.Image, baseAMI string, pinned, indexes map[string]string) ([]byte, error) {
	v, _ := windows.Lookup(img.Windows)
	vars := PackerVars{
		ImageName:         img.Name,
		KubernetesVersion: img.Kubernetes,
		WindowsVariant:    img.Windows,
		SourceAMIParam:    v.SSMParameter(img.Kubernetes),
		SourceAMI:         baseAMI,
		BuildRegion:       img.BuildRegion(),
		AMIRegions:        append([]string{}, img.Regions[1:]...),
		VolumeSize:        img.VolumeSize,
		InstanceType:      cfg.Packer.InstanceType,
		SubnetID:          cfg.Packer.SubnetID,
		WindowsUpdates:    img.UpdatesEnabled(),
	}
	if fl := cfg.Packer.FastLaunch; fl != nil {
		vars.FastLaunch, vars.FastLaunchParallel, vars.FastLaunchSnapshots = true, fl.MaxParallelLaunches, fl.TargetSnapshots
	}
	for _, ref := range img.Cache {
		entry := ref
		if d := pinned[ref]; d != "" {
			// Fully qualified, so the pin keeps the tag: nginx:latest@sha256:...
			if tag, err := name.NewTag(ref); err == nil {
				entry = tag.Name()
			}
			entry += "@" + d
		}
		if ix := indexes[ref]; ix != "" {
			if vars.CacheIndexDigests == nil {
				vars.CacheIndexDigests = map[string]string{}
			}
			vars.CacheIndexDigests[entry] = ix
		}
		vars.CacheImages = append(vars.CacheImages, entry)
	}
	b, err := json.MarshalIndent(vars, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
