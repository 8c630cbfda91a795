package imagebuilder

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bakefile"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
)

// Tag keys winbake puts on what it makes.
const (
	TagImage   = "winbake:image"
	TagContent = "winbake:content-sha256"
	TagBakeID  = "winbake:bake-id"
)

// Baker bakes images on EC2 Image Builder.
type Baker struct {
	ImageBuilder func(region string) API
	EC2          func(region string) EC2API
	IAM          IAMAPI
	STS          STSAPI
	Clock        Clock
	// Poll spaces the GetImage calls (default: a StatePolicy).
	Poll PollPolicy
	// Log receives progress lines.
	Log io.Writer
}

func (b *Baker) logf(format string, args ...any) {
	if b.Log != nil {
		fmt.Fprintf(b.Log, format+"\n", args...)
	}
}

// CallerIdentity proves the credentials work; it needs no permission.
func CallerIdentity(ctx context.Context, api STSAPI) (*sts.GetCallerIdentityOutput, error) {
	return api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
}

// Preflight checks what can be checked before anything is created: that
// there are credentials, the instance profile exists, and the subnet is in
// the build region.
func (b *Baker) Preflight(ctx context.Context, cfg *config.Config, img config.Image) error {
	if _, err := CallerIdentity(ctx, b.STS); err != nil {
		return awsclient.Explain(err)
	}
	ic := cfg.ImageBuilder
	if _, err := b.IAM.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(ic.InstanceProfile)}); err != nil {
		if awsclient.ErrorCode(err) == "NoSuchEntity" {
			return fmt.Errorf("imagebuilder.instanceProfile: instance profile %q does not exist; create it with the policies listed in the README", ic.InstanceProfile)
		}
		return awsclient.Explain(err)
	}
	if ic.SubnetID != "" {
		_, err := b.EC2(img.BuildRegion()).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{SubnetIds: []string{ic.SubnetID}})
		if strings.HasPrefix(awsclient.ErrorCode(err), "InvalidSubnetID") {
			return fmt.Errorf("imagebuilder.subnetId: subnet %s is not in %s, where %s is built (the first of its regions)", ic.SubnetID, img.BuildRegion(), img.Name)
		}
		if err != nil {
			return awsclient.Explain(err)
		}
	}
	return nil
}

// Bake makes sure an image built from this plan exists, starting a build
// only when none exists or runs, and returns what it produced.
func (b *Baker) Bake(ctx context.Context, cfg *config.Config, img config.Image, ip plan.Image) (bakefile.Image, error) {
	region := img.BuildRegion()
	base, ok := ip.BaseAMIIn(region)
	if !ok || base.AMI == "" {
		return bakefile.Image{}, fmt.Errorf("the plan has no base AMI for %s in %s; re-run winbake plan", img.Name, region)
	}
	api := b.ImageBuilder(region)

	cache, err := components.CacheImagesOf(img, components.PinsOf(img, ip))
	if err != nil {
		return bakefile.Image{}, err
	}
	doc, err := components.Component(img, cache)
	if err != nil {
		return bakefile.Image{}, err
	}
	compARN, err := b.ensureComponent(ctx, api, img, doc)
	if err != nil {
		return bakefile.Image{}, fmt.Errorf("component of %s: %w", img.Name, awsclient.Explain(err))
	}
	recipeARN, err := b.ensureRecipe(ctx, api, img, components.NewRecipe(img, compARN, base.AMI))
	if err != nil {
		return bakefile.Image{}, fmt.Errorf("recipe of %s: %w", img.Name, awsclient.Explain(err))
	}
	infraARN, infraHash, err := b.ensureInfrastructure(ctx, api, cfg, img)
	if err != nil {
		return bakefile.Image{}, fmt.Errorf("infrastructure configuration of %s: %w", img.Name, awsclient.Explain(err))
	}
	distARN, distHash, err := b.ensureDistribution(ctx, api, cfg, img, ip)
	if err != nil {
		return bakefile.Image{}, fmt.Errorf("distribution configuration of %s: %w", img.Name, awsclient.Explain(err))
	}

	bakeID := hash(recipeARN, infraHash, distHash)[:32]
	buildARN, err := b.startOrResume(ctx, api, img, bakeID, recipeARN, infraARN, distARN, cfg.ImageBuilder.Timeout.Duration)
	if err != nil {
		return bakefile.Image{}, awsclient.Explain(err)
	}
	image, err := b.wait(ctx, api, img, buildARN, cfg.ImageBuilder, bakeID)
	if err != nil {
		return bakefile.Image{}, err
	}
	out := bakefile.Image{
		Name: img.Name, Kubernetes: img.Kubernetes, Windows: img.Windows, Updates: img.UpdatesEnabled(),
		Builder: config.BuilderImageBuilder, BuildVersionARN: buildARN,
		BaseAMI: base.AMI, BaseAMIName: base.Name, SSMParameter: ip.SSMParameter,
		ComponentARN: compARN, RecipeARN: recipeARN,
		Finished: b.Clock.Now().UTC().Format(time.RFC3339),
	}
	for _, c := range ip.Cache {
		out.Cache = append(out.Cache, bakefile.Cached{Ref: c.Ref, Digest: c.Digest, Size: c.Size})
	}
	got := map[string]bool{}
	if image.OutputResources != nil {
		for _, a := range image.OutputResources.Amis {
			out.AMIs = append(out.AMIs, bakefile.AMI{Region: aws.ToString(a.Region), AMI: aws.ToString(a.Image), Name: aws.ToString(a.Name)})
			got[aws.ToString(a.Region)] = true
		}
	}
	var missing []string
	for _, r := range img.Regions {
		if !got[r] {
			missing = append(missing, r)
		}
	}
	if len(missing) > 0 {
		return out, fmt.Errorf("%s: build %s is AVAILABLE but has no AMI in %s", img.Name, buildARN, strings.Join(missing, ", "))
	}
	return out, nil
}

func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// token is a deterministic client token: the same request made again (by a
// re-run) replays AWS's first answer instead of creating a second resource.
func token(parts ...string) string { return hash(parts...)[:32] }

// componentVersionARN drops the build number from a component build
// version ARN (…/component/name/1.0.0/1), as List answers name versions.
func componentVersionARN(arn string) string {
	i := strings.Index(arn, ":component/")
	if i < 0 || strings.Count(arn[i:], "/") != 3 {
		return arn
	}
	return arn[:strings.LastIndex(arn, "/")]
}

type semver [3]int

func parseSemver(v string) (semver, bool) {
	var s semver
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return s, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return s, false
		}
		s[i] = n
	}
	return s, true
}

func (s semver) String() string { return fmt.Sprintf("%d.%d.%d", s[0], s[1], s[2]) }

func (s semver) next() semver {
	if s[2] >= 1<<30-1 {
		return semver{s[0], s[1] + 1, 0}
	}
	return semver{s[0], s[1], s[2] + 1}
}

// nextVersion is the version after the highest of versions, or 1.0.0.
func nextVersion(versions []string) semver {
	top, found := semver{1, 0, 0}, false
	for _, v := range versions {
		if s, ok := parseSemver(v); ok && (!found || less(top, s)) {
			top, found = s, true
		}
	}
	if !found {
		return top
	}
	return top.next()
}

func less(a, b semver) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// versionTaken reports errors meaning "that version is not free": the list
// was stale, or the token met other parameters.
func versionTaken(err error) bool {
	switch awsclient.ErrorCode(err) {
	case "ResourceAlreadyExistsException", "IdempotentParameterMismatchException", "InvalidVersionNumberException":
		return true
	}
	return false
}

func (b *Baker) ensureComponent(ctx context.Context, api API, img config.Image, doc []byte) (string, error) {
	name := components.ComponentName(img.Name)
	sum := hash(string(doc))
	marker := "[sha256:" + sum[:16] + "]"
	var versions []string
	p := ib.NewListComponentsPaginator(api, &ib.ListComponentsInput{
		Owner:   types.OwnershipSelf,
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{name}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, c := range page.ComponentVersionList {
			if strings.Contains(aws.ToString(c.Description), marker) {
				b.logf("%s: component %s %s is current (same content)", img.Name, name, aws.ToString(c.Version))
				return aws.ToString(c.Arn), nil
			}
			versions = append(versions, aws.ToString(c.Version))
		}
	}
	v := nextVersion(versions)
	for range 20 {
		out, err := api.CreateComponent(ctx, &ib.CreateComponentInput{
			Name:              aws.String(name),
			SemanticVersion:   aws.String(v.String()),
			Platform:          types.PlatformWindows,
			Data:              aws.String(string(doc)),
			Description:       aws.String(fmt.Sprintf("Caches %d container images for EKS Windows nodes %s", len(img.Cache), marker)),
			ChangeDescription: aws.String("rendered by winbake from winbake.yaml"),
			Tags:              map[string]string{TagImage: img.Name, TagContent: sum},
			ClientToken:       aws.String(token(name, v.String(), sum)),
		})
		if versionTaken(err) {
			v = v.next()
			continue
		}
		if err != nil {
			return "", err
		}
		b.logf("%s: created component %s %s", img.Name, name, v)
		return componentVersionARN(aws.ToString(out.ComponentBuildVersionArn)), nil
	}
	return "", fmt.Errorf("no free version for component %s after 20 tries", name)
}

func (b *Baker) ensureRecipe(ctx context.Context, api API, img config.Image, r components.Recipe) (string, error) {
	body, _ := json.Marshal(r)
	sum := hash(string(body))
	var versions []string
	p := ib.NewListImageRecipesPaginator(api, &ib.ListImageRecipesInput{
		Owner:   types.OwnershipSelf,
		Filters: []types.Filter{{Name: aws.String("name"), Values: []string{r.Name}}},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, s := range page.ImageRecipeSummaryList {
			arn := aws.ToString(s.Arn)
			if s.Tags[TagContent] == sum {
				b.logf("%s: image recipe %s is current (same content)", img.Name, arn[strings.LastIndex(arn, "/")+1:])
				return arn, nil
			}
			versions = append(versions, arn[strings.LastIndex(arn, "/")+1:])
		}
	}
	tags := components.Tags(img)
	tags[TagContent] = sum
	var comps []types.ComponentConfiguration
	for _, c := range r.Components {
		comps = append(comps, types.ComponentConfiguration{ComponentArn: aws.String(c.ComponentARN)})
	}
	var bdms []types.InstanceBlockDeviceMapping
	for _, m := range r.BlockDeviceMappings {
		bdms = append(bdms, types.InstanceBlockDeviceMapping{DeviceName: aws.String(m.DeviceName), Ebs: &types.EbsInstanceBlockDeviceSpecification{
			VolumeSize: aws.Int32(int32(m.EBS.VolumeSize)), VolumeType: types.EbsVolumeType(m.EBS.VolumeType),
			DeleteOnTermination: aws.Bool(m.EBS.DeleteOnTermination), Encrypted: aws.Bool(m.EBS.Encrypted),
		}})
	}
	v := nextVersion(versions)
	for range 20 {
		out, err := api.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{
			Name: aws.String(r.Name), Description: aws.String(r.Description), SemanticVersion: aws.String(v.String()),
			ParentImage: aws.String(r.ParentImage), Components: comps, BlockDeviceMappings: bdms,
			WorkingDirectory: aws.String(r.WorkingDirectory), Tags: tags,
			ClientToken: aws.String(token(r.Name, v.String(), sum)),
		})
		if versionTaken(err) {
			v = v.next()
			continue
		}
		if err != nil {
			return "", err
		}
		b.logf("%s: created image recipe %s %s from %s", img.Name, r.Name, v, r.ParentImage)
		return aws.ToString(out.ImageRecipeArn), nil
	}
	return "", fmt.Errorf("no free version for recipe %s after 20 tries", r.Name)
}

// describe puts a content hash in a mutable resource's description, so a
// later run sees whether it matches the config without comparing fields.
func describe(what, sum string) string {
	return fmt.Sprintf("%s, managed by winbake [sha256:%s]", what, sum[:16])
}

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
				InstanceMetadataOptions: meta, ClientToken: aws.String(token(existing, sum)),
			})
			return err
		},
		func() (string, error) {
			out, err := api.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{
				Name: aws.String(name), Description: aws.String(desc),
				InstanceTypes: ic.InstanceTypes, InstanceProfileName: aws.String(ic.InstanceProfile),
				SubnetId: subnet, SecurityGroupIds: ic.SecurityGroupIDs, KeyPair: keyPair,
				TerminateInstanceOnFailure: aws.Bool(ic.TerminatesOnFailure()), Logging: logging,
				InstanceMetadataOptions: meta, Tags: map[string]string{TagImage: img.Name},
				ResourceTags: map[string]string{TagImage: img.Name}, ClientToken: aws.String(token(name, sum)),
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

// AMITags are the tags of the baked AMI: its lineage and what is in it.
func AMITags(img config.Image, ip plan.Image, base string) map[string]string {
	tags := components.Tags(img)
	tags["winbake:base-ami"] = base
	tags["winbake:updates"] = strconv.FormatBool(img.UpdatesEnabled())
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
		tags[fmt.Sprintf("winbake:cache/%02d", i)] = v
	}
	tags["winbake:cache-count"] = strconv.Itoa(len(ip.Cache))
	return tags
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
				Distributions: dists, ClientToken: aws.String(token(existing, sum)),
			})
			return err
		},
		func() (string, error) {
			out, err := api.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{
				Name: aws.String(name), Description: aws.String(desc), Distributions: dists,
				Tags: map[string]string{TagImage: img.Name}, ClientToken: aws.String(token(name, sum)),
			})
			if err != nil {
				return "", err
			}
			return aws.ToString(out.DistributionConfigurationArn), nil
		})
	return arn, sum, err
}

// startOrResume returns the build of this bake ID: one that exists (running
// or done), or a new one. Failed builds count as attempts, so a re-run after
// a failure starts a fresh build with a fresh token.
func (b *Baker) startOrResume(ctx context.Context, api API, img config.Image, bakeID, recipeARN, infraARN, distARN string, timeout time.Duration) (string, error) {
	imageVersionARN := strings.Replace(recipeARN, ":image-recipe/", ":image/", 1)
	attempts := 0
	p := ib.NewListImageBuildVersionsPaginator(api, &ib.ListImageBuildVersionsInput{ImageVersionArn: aws.String(imageVersionARN)})
	var running []types.ImageSummary
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, s := range page.ImageSummaryList {
			if s.Tags[TagBakeID] != bakeID {
				continue
			}
			switch s.State.Status {
			case types.ImageStatusFailed, types.ImageStatusCancelled, types.ImageStatusDeprecated, types.ImageStatusDeleted:
				attempts++
			default:
				running = append(running, s)
			}
		}
	}
	sort.Slice(running, func(i, j int) bool { return aws.ToString(running[i].Arn) < aws.ToString(running[j].Arn) })
	if len(running) > 0 {
		s := running[len(running)-1]
		b.logf("%s: found build %s (%s) started earlier for this same input; not starting another", img.Name, aws.ToString(s.Arn), s.State.Status)
		return aws.ToString(s.Arn), nil
	}
	tags := components.Tags(img)
	tags[TagBakeID] = bakeID
	out, err := api.CreateImage(ctx, &ib.CreateImageInput{
		ImageRecipeArn:                 aws.String(recipeARN),
		InfrastructureConfigurationArn: aws.String(infraARN),
		DistributionConfigurationArn:   aws.String(distARN),
		ImageTestsConfiguration:        &types.ImageTestsConfiguration{ImageTestsEnabled: aws.Bool(true), TimeoutMinutes: aws.Int32(int32(min(max(timeout.Minutes(), 60), 1440)))},
		EnhancedImageMetadataEnabled:   aws.Bool(true),
		Tags:                           tags,
		ClientToken:                    aws.String(token(bakeID, strconv.Itoa(attempts))),
	})
	if err != nil {
		return "", fmt.Errorf("starting the build of %s: %w", img.Name, err)
	}
	arn := aws.ToString(out.ImageBuildVersionArn)
	b.logf("%s: started build %s", img.Name, arn)
	return arn, nil
}

// wait polls the build until it ends, printing each state change.
func (b *Baker) wait(ctx context.Context, api API, img config.Image, arn string, ic config.ImageBuilder, bakeID string) (*types.Image, error) {
	poll := b.Poll
	if poll == nil {
		poll = NewStatePolicy(binary.BigEndian.Uint64([]byte(bakeID[:8])))
	}
	start := b.Clock.Now()
	deadline := start.Add(ic.Timeout.Duration)
	last, same := "", 0
	for {
		out, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("watching build %s: %w", arn, awsclient.Explain(err))
		}
		image := out.Image
		state := string(image.State.Status)
		elapsed := b.Clock.Now().Sub(start).Truncate(time.Second)
		if state != last {
			b.logf("%s: %s after %s", img.Name, state, elapsed)
			last, same = state, 0
		} else {
			same++
		}
		switch image.State.Status {
		case types.ImageStatusAvailable:
			return image, nil
		case types.ImageStatusFailed, types.ImageStatusCancelled:
			return image, &BuildFailed{Image: img.Name, ARN: arn, State: state, Reason: aws.ToString(image.State.Reason), Logs: logLocation(img, ic)}
		}
		if !b.Clock.Now().Before(deadline) {
			return nil, fmt.Errorf("%s: build %s is still %s after %s (imagebuilder.timeout); it goes on in AWS: re-run winbake bake to wait for it again, or cancel it in the console", img.Name, arn, state, ic.Timeout.Duration)
		}
		if err := b.Clock.Sleep(ctx, poll.Next(state, same)); err != nil {
			return nil, fmt.Errorf("%s: stopped waiting for build %s (%s); a re-run resumes it: %w", img.Name, arn, state, err)
		}
	}
}

// BuildFailed is a build that ended FAILED or CANCELLED.
type BuildFailed struct {
	Image, ARN, State, Reason, Logs string
}

func (e *BuildFailed) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "AWS gave no reason"
	}
	return fmt.Sprintf("%s: build %s %s: %s; logs: %s", e.Image, e.ARN, e.State, reason, e.Logs)
}

func logLocation(img config.Image, ic config.ImageBuilder) string {
	loc := fmt.Sprintf("CloudWatch Logs group /aws/imagebuilder/%s in %s", components.ComponentName(img.Name), img.BuildRegion())
	if ic.LogBucket != "" {
		loc += fmt.Sprintf(", and s3://%s/winbake/%s/", ic.LogBucket, img.Name)
	}
	return loc
}
