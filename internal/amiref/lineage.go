package amiref

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/windows"
)

// EC2API is the EC2 operation lineage lookups call.
type EC2API interface {
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

// Member is an AMI of an image's lineage: where it lives and why it counts.
type Member struct {
	Region string
	Why    string
	// FromKubernetes is set when the AMI was baked for an earlier
	// Kubernetes minor than the image's: replacing it upgrades the node
	// group's kubelet, which the control plane must allow first.
	FromKubernetes string
}

// Lineage maps the AMIs of an image's lineage found in a repository.
type Lineage map[string]Member

// LookupLineage decides which of the AMIs found belong to the image's
// lineage: AMIs winbake baked for it (owned by this account, tagged
// amitag.Image=<name>), the EKS-optimized Windows AMIs of its variant and
// Kubernetes version, and the AMIs listed in its config. It asks each
// region about the found AMIs only, with a filter, so one unknown ID does
// not fail the lookup; others stay out of the lineage with the reason.
func LookupLineage(ctx context.Context, ec2For func(region string) EC2API, img config.Image, regions []string, found []string) (Lineage, map[string]string, error) {
	v, _ := windows.Lookup(img.Windows)
	// Stock AMIs are named Windows_Server-2022-English-Core-EKS_Optimized-1.31-2026.10.15
	// (EKS user guide, "Retrieve recommended Microsoft Windows AMI IDs").
	// A stock AMI of another minor is another cluster's kubelet.
	stockPrefix := strings.TrimSuffix(v.AMINamePattern(img.Kubernetes), "*")
	variantPrefix := strings.TrimSuffix(v.AMINamePattern(""), "-*")
	listed := map[string]bool{}
	for _, a := range img.AMIs {
		listed[a] = true
	}
	lineage := Lineage{}
	seen := map[string]string{} // AMI → what it is, for the ignore reason
	for _, region := range regions {
		for i := 0; i < len(found); i += 200 {
			batch := found[i:min(i+200, len(found))]
			p := ec2.NewDescribeImagesPaginator(ec2For(region), &ec2.DescribeImagesInput{
				Filters:           []ec2types.Filter{{Name: aws.String("image-id"), Values: batch}},
				IncludeDeprecated: aws.Bool(true),
			})
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, fmt.Errorf("looking up AMIs in %s: %w", region, awsclient.Explain(err))
				}
				for _, im := range page.Images {
					id, name := aws.ToString(im.ImageId), aws.ToString(im.Name)
					tag := tagValue(im.Tags, amitag.Image)
					stock := aws.ToString(im.ImageOwnerAlias) == "amazon"
					switch {
					case tag == img.Name && !stock:
						m, reason := bakedMember(region, img, tagValue(im.Tags, amitag.Kubernetes), tagValue(im.Tags, amitag.Windows))
						if reason != "" {
							seen[id] = reason
							continue
						}
						lineage[id] = m
					case stock && strings.HasPrefix(name, stockPrefix):
						lineage[id] = Member{Region: region, Why: "EKS-optimized Windows " + img.Windows + " for Kubernetes " + img.Kubernetes}
					case listed[id]:
						lineage[id] = Member{Region: region, Why: "listed in images[].amis"}
					case stock && strings.HasPrefix(name, variantPrefix):
						k := kubernetesOfStock(name, variantPrefix)
						seen[id] = fmt.Sprintf("the EKS-optimized Windows %s AMI for Kubernetes %s (%q), not %s: replacing it would move its node group to another Kubernetes minor", img.Windows, k, name, img.Kubernetes)
					case tag != "":
						seen[id] = fmt.Sprintf("baked by winbake for another image (%s)", tag)
					default:
						seen[id] = fmt.Sprintf("%s in %s, not of %s's lineage", describeAMI(name), region, img.Name)
					}
				}
			}
		}
	}
	ignored := map[string]string{}
	for _, id := range found {
		if _, ok := lineage[id]; ok {
			continue
		}
		switch {
		case seen[id] != "":
			ignored[id] = seen[id]
		case listed[id]:
			ignored[id] = "listed in images[].amis but not found in " + strings.Join(regions, ", ") + ": its region is unknown, so it is not replaced"
		default:
			ignored[id] = "not found in " + strings.Join(regions, ", ") + " (another region or account)"
		}
	}
	return lineage, ignored, nil
}

// bakedMember decides about an AMI winbake baked for this image under the
// Kubernetes version it is tagged with: the same or an earlier minor is
// moved (an earlier one loudly); a later one is left alone, as moving it
// would downgrade kubelet. One baked for another Windows variant (the
// image's windows was changed since) is left alone: a 2019 node group's
// pods run ltsc2019 images, which a 2022 host cannot run with process
// isolation, so moving it is a migration, not a patch.
func bakedMember(region string, img config.Image, k, windows string) (Member, string) {
	m := Member{Region: region, Why: "baked by winbake for " + img.Name}
	if windows != "" && img.Windows != "" && windows != img.Windows {
		return m, fmt.Sprintf("baked by winbake for %s on Windows %s, not the image's %s: replacing it would move its node group to another Windows variant", img.Name, windows, img.Windows)
	}
	if k == "" || k == img.Kubernetes {
		return m, ""
	}
	switch c := compareMinor(k, img.Kubernetes); {
	case c < 0:
		m.Why += " under Kubernetes " + k
		m.FromKubernetes = k
		return m, ""
	case c > 0:
		return m, fmt.Sprintf("baked by winbake for %s under Kubernetes %s, newer than the image's %s: not moved back", img.Name, k, img.Kubernetes)
	}
	return m, ""
}

// compareMinor compares "1.29" and "1.31" as versions.
func compareMinor(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// kubernetesOfStock reads "1.29" out of a stock AMI name.
func kubernetesOfStock(name, variantPrefix string) string {
	rest := strings.TrimPrefix(strings.TrimPrefix(name, variantPrefix), "-")
	if i := strings.IndexByte(rest, '-'); i > 0 {
		return rest[:i]
	}
	return rest
}

func describeAMI(name string) string {
	if name == "" {
		return "an AMI"
	}
	return fmt.Sprintf("%q", name)
}

func tagValue(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}

// FoundAMIs lists the distinct AMIs in the scanned files, sorted: every
// AMI ID written anywhere in them, comments and files that are never
// rewritten included.
func FoundAMIs(files []File) []string {
	set := map[string]bool{}
	for _, f := range files {
		for _, t := range f.Tokens {
			set[t.AMI] = true
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}
