package prune

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winbake/winbake/internal/awsclient"
)

// What uses an AMI besides the repository: launch templates, instances and
// the image's SSM output parameter.

// launchTemplateImages maps the AMIs that any launch template's $Default
// or $Latest version uses to a description of the template. Other versions
// do not protect an AMI. SSM parameters are resolved to the AMI they name.
func launchTemplateImages(ctx context.Context, api EC2API) (map[string]string, error) {
	out := map[string]string{}
	p := ec2.NewDescribeLaunchTemplateVersionsPaginator(api, &ec2.DescribeLaunchTemplateVersionsInput{
		Versions:     []string{"$Latest", "$Default"},
		ResolveAlias: aws.Bool(true),
		MaxResults:   aws.Int32(pageLaunchTemplateVersions),
	})
	latest := map[string]int64{}
	var versions []ec2types.LaunchTemplateVersion
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("reading launch templates: %w", awsclient.Explain(err))
		}
		for _, v := range page.LaunchTemplateVersions {
			id := aws.ToString(v.LaunchTemplateId)
			latest[id] = max(latest[id], aws.ToInt64(v.VersionNumber))
			versions = append(versions, v)
		}
	}
	for _, v := range versions {
		if v.LaunchTemplateData == nil || !strings.HasPrefix(aws.ToString(v.LaunchTemplateData.ImageId), "ami-") {
			continue
		}
		var which []string
		if aws.ToBool(v.DefaultVersion) {
			which = append(which, "$Default")
		}
		if aws.ToInt64(v.VersionNumber) == latest[aws.ToString(v.LaunchTemplateId)] {
			which = append(which, "$Latest")
		}
		ami := aws.ToString(v.LaunchTemplateData.ImageId)
		if _, seen := out[ami]; !seen {
			out[ami] = fmt.Sprintf("launch template %s (%s) version %d (%s)", aws.ToString(v.LaunchTemplateId),
				aws.ToString(v.LaunchTemplateName), aws.ToInt64(v.VersionNumber), strings.Join(which, ", "))
		}
	}
	return out, nil
}

// liveStates are every instance state but terminated.
var liveStates = []string{"pending", "running", "shutting-down", "stopping", "stopped"}

// instanceImages maps the AMIs among ids that an instance not terminated
// runs to a description of one such instance.
func instanceImages(ctx context.Context, api EC2API, ids []string) (map[string]string, error) {
	out := map[string]string{}
	// DescribeInstances takes 200 filter values in all, the states included
	// (FilterLimitExceeded otherwise).
	n := batch - len(liveStates)
	for i := 0; i < len(ids); i += n {
		p := ec2.NewDescribeInstancesPaginator(api, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
			{Name: aws.String("image-id"), Values: ids[i:min(i+n, len(ids))]},
			{Name: aws.String("instance-state-name"), Values: liveStates},
		}, MaxResults: aws.Int32(pageInstances)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("looking for instances: %w", awsclient.Explain(err))
			}
			for _, r := range page.Reservations {
				for _, in := range r.Instances {
					ami := aws.ToString(in.ImageId)
					if _, seen := out[ami]; !seen && in.State != nil {
						out[ami] = fmt.Sprintf("instance %s (%s)", aws.ToString(in.InstanceId), in.State.Name)
					}
				}
			}
		}
	}
	return out, nil
}

// parameter is the image's SSM output parameter in a region.
type parameter struct{ name, value string }

// outputParameter reads the image's SSM output parameter in the region;
// its value is "" when none is configured or set.
func (o *Options) outputParameter(ctx context.Context, region, image string) (parameter, error) {
	tmpl := o.Config.ImageBuilder.SSMParameter
	if tmpl == "" {
		return parameter{}, nil
	}
	p := parameter{name: strings.ReplaceAll(tmpl, "{image}", image)}
	out, err := o.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(p.name)})
	if awsclient.ErrorCode(err) == "ParameterNotFound" {
		return p, nil
	}
	if err != nil {
		return p, fmt.Errorf("reading SSM parameter %s: %w", p.name, awsclient.Explain(err))
	}
	p.value = aws.ToString(out.Parameter.Value)
	return p, nil
}
