package imagebuilder

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/config"
)

// startOrResume returns the build of this bake ID: one that exists (running
// or done), or a new one. Failed builds count as attempts, so a re-run after
// a failure starts a fresh build with a fresh token.
func (b *Baker) startOrResume(ctx context.Context, api API, img config.Image, bakeID, recipeARN, infraARN, distARN string, ic config.ImageBuilder) (string, error) {
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
			if s.Tags[amitag.BakeID] != bakeID {
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
	tags[amitag.BakeID] = bakeID
	timeout := ic.Timeout.Duration
	// The execution role, when set, is what distribution writes the SSM
	// output parameter as (CreateImage, executionRole: a name or an ARN).
	var role *string
	if ic.ExecutionRole != "" {
		role = aws.String(ic.ExecutionRole)
	}
	out, err := api.CreateImage(ctx, &ib.CreateImageInput{
		ExecutionRole:                  role,
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
