package imagebuilder

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// componentVersionARN drops the build number from a component build
// version ARN (…/component/name/1.0.0/1), as List answers name versions.
func componentVersionARN(arn string) string {
	i := strings.Index(arn, ":component/")
	if i < 0 || strings.Count(arn[i:], "/") != 3 {
		return arn
	}
	return arn[:strings.LastIndex(arn, "/")]
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
	arn, v, err := createVersion("component", name, versions, func(v semver) (string, error) {
		out, err := api.CreateComponent(ctx, &ib.CreateComponentInput{
			Name:              aws.String(name),
			SemanticVersion:   aws.String(v.String()),
			Platform:          types.PlatformWindows,
			Data:              aws.String(string(doc)),
			Description:       aws.String(fmt.Sprintf("Caches %d container images for EKS Windows nodes %s", len(img.Cache), marker)),
			ChangeDescription: aws.String("rendered by winbake from winbake.yaml"),
			Tags:              map[string]string{amitag.Image: img.Name, amitag.Content: sum},
			ClientToken:       aws.String(token(name, v.String(), sum)),
		})
		if err != nil {
			return "", err
		}
		return componentVersionARN(aws.ToString(out.ComponentBuildVersionArn)), nil
	})
	if err != nil {
		return "", err
	}
	b.logf("%s: created component %s %s", img.Name, name, v)
	return arn, nil
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
			if s.Tags[amitag.Content] == sum {
				b.logf("%s: image recipe %s is current (same content)", img.Name, arn[strings.LastIndex(arn, "/")+1:])
				return arn, nil
			}
			versions = append(versions, arn[strings.LastIndex(arn, "/")+1:])
		}
	}
	tags := components.Tags(img)
	tags[amitag.Content] = sum
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
	arn, v, err := createVersion("recipe", r.Name, versions, func(v semver) (string, error) {
		out, err := api.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{
			Name: aws.String(r.Name), Description: aws.String(r.Description), SemanticVersion: aws.String(v.String()),
			ParentImage: aws.String(r.ParentImage), Components: comps, BlockDeviceMappings: bdms,
			WorkingDirectory: aws.String(r.WorkingDirectory), Tags: tags,
			ClientToken: aws.String(token(r.Name, v.String(), sum)),
		})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.ImageRecipeArn), nil
	})
	if err != nil {
		return "", err
	}
	b.logf("%s: created image recipe %s %s from %s", img.Name, r.Name, v, r.ParentImage)
	return arn, nil
}

// createVersion creates the version after the highest of versions, or the
// next one free when another run took it meanwhile (Image Builder versions
// are immutable: a component or recipe changes by a new version).
func createVersion(kind, name string, versions []string, create func(semver) (string, error)) (string, semver, error) {
	v := nextVersion(versions)
	for range 20 {
		arn, err := create(v)
		if versionTaken(err) {
			v = v.next()
			continue
		}
		return arn, v, err
	}
	return "", v, fmt.Errorf("no free version for %s %s after 20 tries", kind, name)
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
