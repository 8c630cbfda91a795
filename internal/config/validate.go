package config

import (
	"fmt"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"gopkg.in/yaml.v3"

	"github.com/winbake/winbake/internal/awsarn"
	"github.com/winbake/winbake/internal/windows"
)

const hour = time.Hour

var (
	imageNameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`)
	// No leading zero: "1.035" names no SSM parameter.
	kubernetesRE = regexp.MustCompile(`^1\.(0|[1-9]\d*)$`)
	regionRE     = regexp.MustCompile(`^[a-z]{2,4}(-[a-z]{2,4})?-[a-z]+-\d{1,2}$`)
	// AMIPattern matches a whole AMI ID: "ami-" and 8 or 17 hex digits.
	AMIPattern      = regexp.MustCompile(`^ami-([0-9a-f]{8}|[0-9a-f]{17})$`)
	instanceTypeRE  = regexp.MustCompile(`^[a-z][a-z0-9-]*\.[a-z0-9]+$`)
	subnetRE        = regexp.MustCompile(`^subnet-([0-9a-f]{8}|[0-9a-f]{17})$`)
	securityGroupRE = regexp.MustCompile(`^sg-([0-9a-f]{8}|[0-9a-f]{17})$`)
	launchTmplRE    = regexp.MustCompile(`^lt-[0-9a-f]{17}$`)
	ssmParamRE      = regexp.MustCompile(`^/[A-Za-z0-9_.\-/{}]+$`)
	githubLoginRE   = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(/[A-Za-z0-9_.-]+)?$`)
)

// minKubernetesWhy says why a Windows release starts at its MinKubernetes.
var minKubernetesWhy = map[string]string{
	"2019": "the EKS Windows AMIs run containerd from 1.24 on",
	"2022": "the EKS Windows AMIs run containerd from 1.24 on",
	"2025": "the first Windows Server 2025 EKS AMIs are for 1.35",
}

type validator struct {
	*decoder
	cfg    *Config
	failed map[string]bool // paths that did not decode
}

// at reports a problem with the value at path.
func (v *validator) at(path, format string, args ...any) {
	if v.failed[path] {
		return
	}
	p, ok := v.pos[path]
	if !ok {
		// A defaulted or missing value: point at its parent.
		parent := path
		for !ok && parent != "" {
			if i := strings.LastIndexAny(parent, ".["); i >= 0 {
				parent = parent[:i]
			} else {
				parent = ""
			}
			p, ok = v.pos[parent]
		}
	}
	v.fail(&yaml.Node{Line: p.line, Column: p.col}, path, format, args...)
}

func (v *validator) validate() {
	c := v.cfg
	if c.Builder != BuilderImageBuilder && c.Builder != BuilderPacker {
		v.at("builder", "%q is not a builder; expected imagebuilder or packer", c.Builder)
	}
	if len(c.Images) == 0 {
		v.at("images", "no images: list at least one image to bake")
	}
	names := map[string]int{}
	for i, img := range c.Images {
		p := fmt.Sprintf("images[%d]", i)
		v.image(p, img)
		if first, dup := names[img.Name]; dup && img.Name != "" {
			line := v.pos[fmt.Sprintf("images[%d].name", first)].line
			v.at(p+".name", "%q is already the name of images[%d] (line %d); names must be unique", img.Name, first, line)
		} else {
			names[img.Name] = i
		}
	}
	v.onePartition()
	v.imageBuilder()
	v.imageBuilderNames()
	for i, p := range c.Bump.Paths {
		if path.IsAbs(p) || strings.HasPrefix(path.Clean(p), "..") {
			v.at(fmt.Sprintf("bump.paths[%d]", i), "%q must be a path inside the repository, relative to its root", p)
		}
	}
	for i, g := range c.Bump.Exclude {
		if _, err := path.Match(g, ""); err != nil {
			v.at(fmt.Sprintf("bump.exclude[%d]", i), "%q is not a glob pattern: %v", g, err)
		}
	}
	pr := c.PullRequest
	for field, logins := range map[string][]string{"reviewers": pr.Reviewers, "teamReviewers": pr.TeamReviewers, "assignees": pr.Assignees} {
		for i, l := range logins {
			if !githubLoginRE.MatchString(l) {
				v.at(fmt.Sprintf("pullRequest.%s[%d]", field, i), "%q is not a GitHub user or team name", l)
			}
		}
	}
	if strings.ContainsAny(pr.BaseBranch, " ~^:?*[\\") || strings.HasPrefix(pr.BaseBranch, "-") {
		v.at("pullRequest.baseBranch", "%q is not a valid branch name", pr.BaseBranch)
	}
}

func (v *validator) image(p string, img Image) {
	switch {
	case img.Name == "":
		v.at(p+".name", "missing: every image needs a name ([a-z0-9-])")
	case len(img.Name) > 63 || !imageNameRE.MatchString(img.Name):
		v.at(p+".name", "%q is not a valid name; expected lower-case letters, digits and inner hyphens, at most 63 characters (it becomes a branch name and an AMI tag)", img.Name)
	}
	variant, known := windows.Lookup(img.Windows)
	if img.Windows == "" {
		v.at(p+".windows", "missing; expected one of %s", strings.Join(windows.Names(), ", "))
	} else if !known {
		v.at(p+".windows", "%q is not a Windows variant; expected one of %s%s", img.Windows, strings.Join(windows.Names(), ", "), closestVariant(img.Windows))
	}
	// The example is one the variant accepts: 2025 starts at 1.35.
	example := "1.34"
	if known && variant.MinKubernetes > 34 {
		example = fmt.Sprintf("1.%d", variant.MinKubernetes)
	}
	if img.Kubernetes == "" {
		v.at(p+".kubernetes", "missing; expected a Kubernetes minor version in quotes, such as %q", example)
	} else if m := kubernetesRE.FindStringSubmatch(img.Kubernetes); m == nil {
		v.at(p+".kubernetes", "%q is not a Kubernetes minor version; expected one such as %q", img.Kubernetes, example)
	} else if minor, _ := strconv.Atoi(m[1]); known && minor < variant.MinKubernetes {
		v.at(p+".kubernetes", "Windows %s needs Kubernetes 1.%d or newer: EKS publishes no %s AMI for %s (%s)", img.Windows, variant.MinKubernetes, img.Windows, img.Kubernetes, minKubernetesWhy[variant.Release])
	}
	refs := map[string]int{}
	for j, ref := range img.Cache {
		cp := fmt.Sprintf("%s.cache[%d]", p, j)
		r, err := name.ParseReference(ref)
		if err != nil || strings.TrimSpace(ref) != ref {
			v.at(cp, "%q is not an image reference; expected one like mcr.microsoft.com/windows/nanoserver:ltsc2022", ref)
			continue
		}
		if first, dup := refs[r.Name()]; dup {
			v.at(cp, "%q is listed twice (also %s.cache[%d])", ref, p, first)
		}
		refs[r.Name()] = j
	}
	for j, ref := range img.BaseImages {
		if _, err := name.ParseReference(ref); err != nil {
			v.at(fmt.Sprintf("%s.baseImages[%d]", p, j), "%q is not an image reference", ref)
		}
	}
	if img.VolumeSize < MinVolumeSize || img.VolumeSize > 16384 {
		v.at(p+".volumeSize", "%d GiB is out of range; expected %d to 16384 (the EKS Windows AMIs' root volume is %d GiB)", img.VolumeSize, MinVolumeSize, MinVolumeSize)
	}
	if len(img.Regions) == 0 {
		v.at(p+".regions", "missing; list the AWS regions to bake into, the first is where the build runs")
	}
	seen := map[string]bool{}
	for j, r := range img.Regions {
		rp := fmt.Sprintf("%s.regions[%d]", p, j)
		if !checkRegion(v, rp, r) {
			continue
		} else if seen[r] {
			v.at(rp, "%q is listed twice", r)
		}
		seen[r] = true
	}
	for j, a := range img.AMIs {
		if !AMIPattern.MatchString(a) {
			v.at(fmt.Sprintf("%s.amis[%d]", p, j), "%q is not an AMI ID; expected ami- and 8 or 17 hex digits", a)
		}
	}
}

func (v *validator) fastLaunch(p string, fl *FastLaunch) {
	if fl == nil {
		return
	}
	switch {
	case fl.MaxParallelLaunches == 0:
		v.at(p+".maxParallelLaunches", "missing; setting fastLaunch turns EC2 Fast Launch on, and it needs maxParallelLaunches of at least 6")
	case fl.MaxParallelLaunches < 6:
		v.at(p+".maxParallelLaunches", "%d is too low; EC2 Fast Launch needs at least 6", fl.MaxParallelLaunches)
	}
	if fl.TargetSnapshots < 1 {
		v.at(p+".targetSnapshots", "%d is too low; expected at least 1", fl.TargetSnapshots)
	}
}

func (v *validator) imageBuilder() {
	ib := v.cfg.ImageBuilder
	for i, t := range ib.InstanceTypes {
		if !instanceTypeRE.MatchString(t) {
			v.at(fmt.Sprintf("imagebuilder.instanceTypes[%d]", i), "%q is not an EC2 instance type; expected one like m6i.xlarge", t)
		}
	}
	if ib.SubnetID != "" && !subnetRE.MatchString(ib.SubnetID) {
		v.at("imagebuilder.subnetId", "%q is not a subnet ID; expected subnet- and 8 or 17 hex digits", ib.SubnetID)
	}
	for i, sg := range ib.SecurityGroupIDs {
		if !securityGroupRE.MatchString(sg) {
			v.at(fmt.Sprintf("imagebuilder.securityGroupIds[%d]", i), "%q is not a security group ID; expected sg- and 8 or 17 hex digits", sg)
		}
	}
	if len(ib.SecurityGroupIDs) > 0 && ib.SubnetID == "" {
		v.at("imagebuilder.securityGroupIds", "security groups need a subnetId too (Image Builder takes both or neither)")
	}
	if ib.Timeout.Duration < 0 {
		v.at("imagebuilder.timeout", "%s is negative", ib.Timeout)
	}
	v.fastLaunch("imagebuilder.fastLaunch", ib.FastLaunch)
	v.fastLaunch("packer.fastLaunch", v.cfg.Packer.FastLaunch)
	if fl := v.cfg.Packer.FastLaunch; fl != nil && fl.LaunchTemplate != nil {
		// The template's fast_launch block sets no launch template, so
		// accepting one here would silently drop it.
		v.at("packer.fastLaunch.launchTemplate", "not supported with the Packer builder; use builder: imagebuilder with imagebuilder.fastLaunch.launchTemplate")
	}
	for i, lt := range ib.LaunchTemplates {
		p := fmt.Sprintf("imagebuilder.launchTemplates[%d]", i)
		if !launchTmplRE.MatchString(lt.ID) {
			v.at(p+".id", "%q is not a launch template ID; expected lt- and 17 hex digits", lt.ID)
		}
		checkRegion(v, p+".region", lt.Region)
	}
	if ib.SSMParameter != "" && !ssmParamRE.MatchString(ib.SSMParameter) {
		v.at("imagebuilder.ssmParameter", "%q is not an SSM parameter name; expected a path like /winbake/{image}/ami", ib.SSMParameter)
	}
}

// closestVariant suggests the variant a typo ("2022-Core", "2022core")
// most likely meant: the nearest within one edit, ignoring case, when no
// other is as near.
func closestVariant(got string) string {
	best, bestDist, ties := "", 2, 0
	for _, name := range windows.Names() {
		switch d := editDistance(strings.ToLower(got), name); {
		case d < bestDist:
			best, bestDist, ties = name, d, 1
		case d == bestDist:
			ties++
		}
	}
	if best == "" || ties > 1 {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// onePartition refuses regions of two partitions (aws, aws-cn,
// aws-us-gov): credentials, AMI copies and IAM stop at a partition's edge.
func (v *validator) onePartition() {
	first := ""
	for i, img := range v.cfg.Images {
		for j, r := range img.Regions {
			if !regionRE.MatchString(r) {
				continue
			}
			if first == "" {
				first = r
			} else if awsarn.Partition(r) != awsarn.Partition(first) {
				v.at(fmt.Sprintf("images[%d].regions[%d]", i, j), "%q is in partition %s, %q in %s: one config bakes in one partition", r, awsarn.Partition(r), first, awsarn.Partition(first))
				return
			}
		}
	}
}

// regionDirections are the compass words of AWS region names, all of those
// in aws-sdk-go-v2's internal/endpoints/awsrulesfn/partitions.json and the
// one it lacks. A closed set, unlike the regions themselves.
var regionDirections = []string{"central", "east", "north", "northeast", "northwest", "south", "southeast", "southwest", "west"}

// checkRegion reports a name that is not shaped like a region, or whose
// compass word is a misspelling ("eu-wset-1"), which AWS would otherwise
// answer only with an unreachable endpoint. It says whether r is valid.
func checkRegion(v *validator, field, r string) bool {
	if !regionRE.MatchString(r) {
		v.at(field, "%q is not an AWS region name; expected one like us-east-1", r)
		return false
	}
	parts := strings.Split(r, "-")
	dir := parts[len(parts)-2]
	best, bestDist, ties := "", 3, 0
	for _, w := range regionDirections {
		if w == dir {
			return true
		}
		switch d := swapDistance(dir, w); {
		case d < bestDist:
			best, bestDist, ties = w, d, 1
		case d == bestDist:
			ties++
		}
	}
	if best == "" || ties > 1 {
		return true // an unfamiliar word, not a typo of a known one
	}
	parts[len(parts)-2] = best
	v.at(field, "%q is not an AWS region name; did you mean %q?", r, strings.Join(parts, "-"))
	return false
}

// swapDistance is the edit distance that counts swapping two neighbouring
// letters as one edit, the commonest slip in a word typed from memory.
func swapDistance(a, b string) int {
	d := make([][]int, len(a)+1)
	for i := range d {
		d[i] = make([]int, len(b)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(a)][len(b)]
}
