package imagebuilder

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// ensureComponent returns the component build version ARN (…/1.0.0/1) of
// this content: one that exists, or a new version. Recipes name the build,
// never the version: under AWS's November 2025 behaviour a second create of
// a version makes a new build (…/1.0.0/2), and a recipe naming …/1.0.0
// would get whichever build is newest, perhaps another cache list's. For
// the same reason a version's list entry may show another build than the
// one with this content: the builds of each version are looked at, the
// version whose entry shows this content first, then the newest first.
func (b *Baker) ensureComponent(ctx context.Context, api API, img config.Image, doc []byte) (string, error) {
	name := components.ComponentName(img.Name)
	sum := hash(string(doc))
	marker := "[sha256:" + sum[:16] + "]"
	type listed struct {
		arn    string
		v      semver
		marked bool
	}
	var found []listed
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
			versions = append(versions, aws.ToString(c.Version))
			v, _ := parseSemver(aws.ToString(c.Version))
			found = append(found, listed{aws.ToString(c.Arn), v, strings.Contains(aws.ToString(c.Description), marker)})
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].marked != found[j].marked {
			return found[i].marked
		}
		return less(found[j].v, found[i].v)
	})
	for _, c := range found {
		arn, err := b.findBuild(ctx, api, c.arn, sum)
		if err != nil {
			return "", err
		}
		if arn != "" {
			b.logf("%s: component %s is current (same content)", img.Name, componentName(arn))
			return arn, nil
		}
	}
	arn, _, err := createVersion("component", name, versions, func(v semver) (string, error) {
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
		return aws.ToString(out.ComponentBuildVersionArn), nil
	})
	if err != nil {
		return "", err
	}
	b.logf("%s: created component %s", img.Name, componentName(arn))
	return arn, nil
}

// componentName is the name/version/build of a component ARN.
func componentName(arn string) string {
	if _, after, ok := strings.Cut(arn, ":component/"); ok {
		return after
	}
	return arn
}

// findBuild returns the build of a component version that holds this
// content (by its content tag), or "".
func (b *Baker) findBuild(ctx context.Context, api API, versionARN, sum string) (string, error) {
	p := ib.NewListComponentBuildVersionsPaginator(api, &ib.ListComponentBuildVersionsInput{ComponentVersionArn: aws.String(versionARN)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, c := range page.ComponentSummaryList {
			if c.Tags[amitag.Content] == sum {
				return aws.ToString(c.Arn), nil
			}
		}
	}
	return "", nil
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
