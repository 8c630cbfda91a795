package amiref

import (
	"context"
	"fmt"
	"sort"
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
}

// Lineage maps the AMIs of an image's lineage found in a repository.
type Lineage map[string]Member

// LookupLineage decides which of the AMIs found belong to the image's
// lineage: AMIs winbake baked for it (owned by this account, tagged
// amitag.Image=<name>), the EKS-optimized Windows AMIs of its variant, and
// the AMIs listed in its config. It asks each region about the found AMIs
// only, with a filter, so one unknown ID does not fail the lookup; others
// stay out of the lineage with the reason.
func LookupLineage(ctx context.Context, ec2For func(region string) EC2API, img config.Image, regions []string, found []string) (Lineage, map[string]string, error) {
	v, _ := windows.Lookup(img.Windows)
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
					switch {
					case tag == img.Name && aws.ToString(im.ImageOwnerAlias) == "":
						lineage[id] = Member{region, "baked by winbake for " + img.Name}
					case strings.HasPrefix(name, variantPrefix) && aws.ToString(im.ImageOwnerAlias) == "amazon":
						lineage[id] = Member{region, "EKS-optimized Windows " + img.Windows}
					case listed[id]:
						lineage[id] = Member{region, "listed in images[].amis"}
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

// FoundAMIs lists the distinct AMIs in the scanned files, sorted.
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
