// Package config loads and validates winbake.yaml.
//
// Loading is strict: unknown keys, wrong types, bad enums, bad image
// references and bad AMI IDs are all reported at once, each with the file,
// line, column and field path of the offending value.
package config

import (
	_ "embed"
	"strings"
	"time"

	"github.com/winbake/winbake/internal/awsarn"
)

// DefaultFile is where winbake looks for its config when none is named.
const DefaultFile = "winbake.yaml"

// Builder names.
const (
	BuilderImageBuilder = "imagebuilder"
	BuilderPacker       = "packer"
)

//go:embed default.yaml
var defaultYAML []byte

// DefaultYAML is the embedded config used when no config file exists.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }

// Config is the whole of winbake.yaml.
type Config struct {
	// Builder bakes the AMIs: "imagebuilder" (default) or "packer".
	Builder      string       `yaml:"builder"`
	Images       []Image      `yaml:"images"`
	ImageBuilder ImageBuilder `yaml:"imagebuilder"`
	Packer       Packer       `yaml:"packer"`
	Bump         Bump         `yaml:"bump"`
	PullRequest  PullRequest  `yaml:"pullRequest"`

	// Source is the file the config came from, or "(default)".
	Source string `yaml:"-"`

	positions map[string]position
}

// Image is one AMI to bake and keep current.
type Image struct {
	// Name is used in branch names, resource names and AMI tags: [a-z0-9-].
	Name string `yaml:"name"`
	// Kubernetes is the EKS minor version, such as "1.34".
	Kubernetes string `yaml:"kubernetes"`
	// Windows is the variant: 2019-core, 2019-full, 2022-core, ...
	Windows string `yaml:"windows"`
	// Updates applies Amazon's update-windows component. Default true.
	Updates *bool `yaml:"updates"`
	// Cache lists the container images to pre-pull into containerd.
	Cache []string `yaml:"cache"`
	// VolumeSize is the root volume in GiB.
	VolumeSize int `yaml:"volumeSize"`
	// Regions receive the AMI; the first is where it is built.
	Regions []string `yaml:"regions"`
	// BaseImages are the Windows base images the EKS AMI already holds,
	// for size accounting. Default: Microsoft's servercore and nanoserver of
	// the variant's build; set them to a mirror where MCR is out of reach.
	BaseImages []string `yaml:"baseImages"`
	// AMIs are extra AMI IDs of this image's lineage that bump replaces.
	AMIs []string `yaml:"amis"`
}

// UpdatesEnabled reports whether Windows updates are applied.
func (i Image) UpdatesEnabled() bool { return i.Updates == nil || *i.Updates }

// BuildRegion is where the image is built; the others get copies.
func (i Image) BuildRegion() string { return i.Regions[0] }

// ImageBuilder holds the EC2 Image Builder settings.
type ImageBuilder struct {
	InstanceTypes   []string `yaml:"instanceTypes"`
	InstanceProfile string   `yaml:"instanceProfile"`
	// InstanceProfileRole is the name of the role in the instance profile,
	// for "winbake policy" (iam:PassRole) when it cannot look it up.
	// Default: the instance profile's name.
	InstanceProfileRole string   `yaml:"instanceProfileRole"`
	SubnetID            string   `yaml:"subnetId"`
	SecurityGroupIDs    []string `yaml:"securityGroupIds"`
	KeyPair             string   `yaml:"keyPair"`
	TerminateOnFailure  *bool    `yaml:"terminateOnFailure"`
	// LogBucket receives the build logs (S3), besides CloudWatch.
	LogBucket string `yaml:"logBucket"`
	// Timeout bounds the wait for one build.
	Timeout         Duration         `yaml:"timeout"`
	FastLaunch      *FastLaunch      `yaml:"fastLaunch"`
	LaunchTemplates []LaunchTemplate `yaml:"launchTemplates"`
	// SSMParameter, when set, receives the new AMI ID in every region.
	// "{image}" is replaced by the image name. It needs ExecutionRole.
	SSMParameter string `yaml:"ssmParameter"`
	// ExecutionRole is the name or ARN of the IAM role Image Builder runs
	// the build as (CreateImage executionRole). Image Builder writes the
	// SSM output parameter only with ssm:PutParameter in this role (Image
	// Builder User Guide, "Prerequisites for SSM output parameters").
	ExecutionRole string `yaml:"executionRole"`
}

// ExecutionRoleARN is the ARN of the execution role: as given, or built
// from its name in the partition of partitionRegion; "" when none is set.
func (ib ImageBuilder) ExecutionRoleARN(partitionRegion, account string) string {
	switch {
	case ib.ExecutionRole == "":
		return ""
	case strings.HasPrefix(ib.ExecutionRole, "arn:"):
		return ib.ExecutionRole
	}
	return awsarn.ARN(partitionRegion, "iam", "", account, "role/"+ib.ExecutionRole)
}

// InstanceProfileRoleName is the role in the instance profile, as far as
// the config knows it.
func (ib ImageBuilder) InstanceProfileRoleName() string {
	if ib.InstanceProfileRole != "" {
		return ib.InstanceProfileRole
	}
	return ib.InstanceProfile
}

// TerminatesOnFailure reports whether a failed build's instance is terminated.
func (ib ImageBuilder) TerminatesOnFailure() bool {
	return ib.TerminateOnFailure == nil || *ib.TerminateOnFailure
}

// FastLaunch pre-provisions snapshots so Windows instances launch faster.
type FastLaunch struct {
	// MaxParallelLaunches must be at least 6 (an EC2 requirement).
	MaxParallelLaunches int `yaml:"maxParallelLaunches"`
	// TargetSnapshots is how many pre-provisioned snapshots to keep.
	TargetSnapshots int `yaml:"targetSnapshots"`
	// LaunchTemplate is what EC2 launches the pre-provisioning instances
	// from. Without one, EC2 needs a default VPC in the Region and an
	// account that does not enforce IMDSv2.
	LaunchTemplate *FastLaunchTemplate `yaml:"launchTemplate"`
}

// FastLaunchTemplate names a launch template by ID or by name (not both),
// and its version.
type FastLaunchTemplate struct {
	ID      string `yaml:"id"`
	Name    string `yaml:"name"`
	Version string `yaml:"version"`
}

// LaunchTemplate gets a new version with the new AMI after a bake.
type LaunchTemplate struct {
	Region     string `yaml:"region"`
	ID         string `yaml:"id"`
	SetDefault bool   `yaml:"setDefault"`
}

// Packer holds the settings of the Packer builder.
type Packer struct {
	// Template is the Packer template to build.
	Template string `yaml:"template"`
	// SkipInit skips "packer init".
	SkipInit     bool     `yaml:"skipInit"`
	InstanceType string   `yaml:"instanceType"`
	SubnetID     string   `yaml:"subnetId"`
	Timeout      Duration `yaml:"timeout"`
	// FastLaunch enables EC2 Fast Launch through the amazon plugin's
	// fast_launch block.
	FastLaunch *FastLaunch `yaml:"fastLaunch"`
}

// Bump says where the AMI IDs live and how to rewrite them.
type Bump struct {
	// Paths to scan, relative to the repository root. Default: all of it.
	Paths []string `yaml:"paths"`
	// Exclude lists glob patterns of paths never to touch.
	Exclude []string `yaml:"exclude"`
}

// PullRequest configures the branch, commit and pull request of a bump.
type PullRequest struct {
	// BaseBranch is where the bump branch starts and the PR goes; empty
	// means the repository's default branch.
	BaseBranch    string   `yaml:"baseBranch"`
	Labels        []string `yaml:"labels"`
	Reviewers     []string `yaml:"reviewers"`
	TeamReviewers []string `yaml:"teamReviewers"`
	Assignees     []string `yaml:"assignees"`
	Draft         bool     `yaml:"draft"`
	AuthorName    string   `yaml:"authorName"`
	AuthorEmail   string   `yaml:"authorEmail"`
	// SignCommits creates the commit through the GitHub API, which signs
	// it, so GitHub shows it as verified.
	SignCommits bool `yaml:"signCommits"`
}

// Duration is a time.Duration written as "90m" or "3h".
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration back as a string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
