package imagebuilder

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
)

func (b *Baker) ensureInfrastructure(ctx context.Context, api API, cfg *config.Config, img config.Image) (string, string, error) {
	ic := cfg.ImageBuilder
	name := components.ComponentName(img.Name)
	var logging *types.Logging
	if ic.LogBucket != "" {
		logging = &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String(ic.LogBucket), S3KeyPrefix: aws.String("winbake/" + img.Name)}}
	}
	var keyPair, subnet *string
	if ic.KeyPair != "" {
		keyPair = aws.String(ic.KeyPair)
	}
	if ic.SubnetID != "" {
		subnet = aws.String(ic.SubnetID)
	}
	want := struct {
		Types   []string
		Profile string
		Subnet  *string
		SGs     []string
		Key     *string
		Term    bool
		Logging *types.Logging
	}{ic.InstanceTypes, ic.InstanceProfile, subnet, ic.SecurityGroupIDs, keyPair, ic.TerminatesOnFailure(), logging}
	body, _ := json.Marshal(want)
	sum := hash(string(body))
	desc := describe("Build instances for "+img.Name, sum)
	meta := &types.InstanceMetadataOptions{HttpTokens: aws.String("required"), HttpPutResponseHopLimit: aws.Int32(2)}

	arn, err := b.upsert(ctx, img, "infrastructure configuration", name, desc,
		func(tok *string) ([]summary, *string, error) {
			out, err := api.ListInfrastructureConfigurations(ctx, &ib.ListInfrastructureConfigurationsInput{
				Filters: []types.Filter{{Name: aws.String("name"), Values: []string{name}}}, NextToken: tok})
			if err != nil {
				return nil, nil, err
			}
			var s []summary
			for _, c := range out.InfrastructureConfigurationSummaryList {
				s = append(s, summary{aws.ToString(c.Arn), aws.ToString(c.Name), aws.ToString(c.Description)})
			}
			return s, out.NextToken, nil
		},
		func(existing string) error {
			_, err := api.UpdateInfrastructureConfiguration(ctx, &ib.UpdateInfrastructureConfigurationInput{
				InfrastructureConfigurationArn: aws.String(existing), Description: aws.String(desc),
				InstanceTypes: ic.InstanceTypes, InstanceProfileName: aws.String(ic.InstanceProfile),
				SubnetId: subnet, SecurityGroupIds: ic.SecurityGroupIDs, KeyPair: keyPair,
				TerminateInstanceOnFailure: aws.Bool(ic.TerminatesOnFailure()), Logging: logging,
				// No token of ours: one made of the content would replay an
				// earlier update to the same content (A, B, A, B leaves A).
				// The SDK makes a fresh one, kept across its retries.
				InstanceMetadataOptions: meta,
			})
			return err
		},
		func() (string, error) {
			out, err := api.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{
				Name: aws.String(name), Description: aws.String(desc),
				InstanceTypes: ic.InstanceTypes, InstanceProfileName: aws.String(ic.InstanceProfile),
				SubnetId: subnet, SecurityGroupIds: ic.SecurityGroupIDs, KeyPair: keyPair,
				TerminateInstanceOnFailure: aws.Bool(ic.TerminatesOnFailure()), Logging: logging,
				InstanceMetadataOptions: meta, Tags: map[string]string{amitag.Image: img.Name},
				ResourceTags: map[string]string{amitag.Image: img.Name}, ClientToken: aws.String(token(name, sum)),
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.InfrastructureConfigurationArn), nil
		})
	return arn, sum, err
}

type summary struct{ arn, name, description string }

// upsert finds a configuration by name and leaves it when its description
// (and so its content) is what is wanted, or updates it, or creates it.
func (b *Baker) upsert(ctx context.Context, img config.Image, kind, name, desc string,
	list func(*string) ([]summary, *string, error), update func(arn string) error, create func() (string, error)) (string, error) {
	var tok *string
	for {
		page, next, err := list(tok)
		if err != nil {
			return "", err
		}
		for _, s := range page {
			if s.name != name {
				continue
			}
			if s.description == desc {
				return s.arn, nil
			}
			if err := update(s.arn); err != nil {
				return "", err
			}
			b.logf("%s: updated %s %s", img.Name, kind, name)
			return s.arn, nil
		}
		if next == nil {
			break
		}
		tok = next
	}
	arn, err := create()
	if err != nil {
		return "", err
	}
	b.logf("%s: created %s %s", img.Name, kind, name)
	return arn, nil
}

func (b *Baker) ensureDistribution(ctx context.Context, api API, cfg *config.Config, img config.Image, ip plan.Image) (string, string, error) {
	ic := cfg.ImageBuilder
	name := components.ComponentName(img.Name)
	base, _ := ip.BaseAMIIn(img.BuildRegion())
	tags := AMITags(img, ip, base.AMI)
	var dists []types.Distribution
	for _, region := range img.Regions {
		d := types.Distribution{
			Region: aws.String(region),
			AmiDistributionConfiguration: &types.AmiDistributionConfiguration{
				Name:        aws.String(fmt.Sprintf("winbake-%s-%s-{{imagebuilder:buildDate}}", img.Name, img.Kubernetes)),
				Description: aws.String(fmt.Sprintf("EKS Windows %s, Kubernetes %s, %d cached images, baked by winbake", img.Windows, img.Kubernetes, len(img.Cache))),
				AmiTags:     tags,
			},
		}
		if fl := ic.FastLaunch; fl != nil {
			d.FastLaunchConfigurations = []types.FastLaunchConfiguration{{
				Enabled: true, MaxParallelLaunches: aws.Int32(int32(fl.MaxParallelLaunches)),
				SnapshotConfiguration: &types.FastLaunchSnapshotConfiguration{TargetResourceCount: aws.Int32(int32(fl.TargetSnapshots))},
				LaunchTemplate:        fastLaunchTemplate(fl.LaunchTemplate),
			}}
		}
		for _, lt := range ic.LaunchTemplates {
			if lt.Region == region {
				d.LaunchTemplateConfigurations = append(d.LaunchTemplateConfigurations, types.LaunchTemplateConfiguration{
					LaunchTemplateId: aws.String(lt.ID), SetDefaultVersion: aws.Bool(lt.SetDefault)})
			}
		}
		if ic.SSMParameter != "" {
			d.SsmParameterConfigurations = []types.SsmParameterConfiguration{{
				ParameterName: aws.String(strings.ReplaceAll(ic.SSMParameter, "{image}", img.Name)),
				DataType:      types.SsmParameterDataTypeAwsEc2Image,
			}}
		}
		dists = append(dists, d)
	}
	body, _ := json.Marshal(dists)
	sum := hash(string(body))
	desc := describe("Distribution of "+img.Name, sum)
	arn, err := b.upsert(ctx, img, "distribution configuration", name, desc,
		func(tok *string) ([]summary, *string, error) {
			out, err := api.ListDistributionConfigurations(ctx, &ib.ListDistributionConfigurationsInput{
				Filters: []types.Filter{{Name: aws.String("name"), Values: []string{name}}}, NextToken: tok})
			if err != nil {
				return nil, nil, err
			}
			var s []summary
			for _, c := range out.DistributionConfigurationSummaryList {
				s = append(s, summary{aws.ToString(c.Arn), aws.ToString(c.Name), aws.ToString(c.Description)})
			}
			return s, out.NextToken, nil
		},
		func(existing string) error {
			_, err := api.UpdateDistributionConfiguration(ctx, &ib.UpdateDistributionConfigurationInput{
				DistributionConfigurationArn: aws.String(existing), Description: aws.String(desc),
				Distributions: dists, // the SDK's own token, as for the infrastructure
			})
			return err
		},
		func() (string, error) {
			out, err := api.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{
				Name: aws.String(name), Description: aws.String(desc), Distributions: dists,
				Tags: map[string]string{amitag.Image: img.Name}, ClientToken: aws.String(token(name, sum)),
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.DistributionConfigurationArn), nil
		})
	return arn, sum, err
}

// AMITags are the tags of the baked AMI: its lineage and what is in it.
func AMITags(img config.Image, ip plan.Image, base string) map[string]string {
	tags := components.Tags(img)
	tags[amitag.BaseAMI] = base
	tags[amitag.Updates] = strconv.FormatBool(img.UpdatesEnabled())
	tags["Name"] = "winbake-" + img.Name
	// One tag per cached image, within EC2's 50 tags of 256 characters.
	for i, c := range ip.Cache {
		if i >= 40 {
			break
		}
		v := c.Ref + "@" + c.Digest
		if len(v) > 256 {
			v = v[len(v)-256:]
		}
		tags[amitag.Cache(i)] = v
	}
	tags[amitag.CacheCount] = strconv.Itoa(len(ip.Cache))
	return tags
}

// fastLaunchTemplate is the launch template EC2 Fast Launch starts its
// pre-provisioning instances from: by ID or by name, not both (Image
// Builder API reference, FastLaunchLaunchTemplateSpecification).
func fastLaunchTemplate(lt *config.FastLaunchTemplate) *types.FastLaunchLaunchTemplateSpecification {
	if lt == nil {
		return nil
	}
	spec := &types.FastLaunchLaunchTemplateSpecification{}
	if lt.ID != "" {
		spec.LaunchTemplateId = aws.String(lt.ID)
	} else {
		spec.LaunchTemplateName = aws.String(lt.Name)
	}
	if lt.Version != "" {
		spec.LaunchTemplateVersion = aws.String(lt.Version)
	}
	return spec
}
