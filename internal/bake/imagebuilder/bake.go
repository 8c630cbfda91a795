package imagebuilder

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
)

// Baker bakes images on EC2 Image Builder.
type Baker struct {
	ImageBuilder func(region string) API
	EC2          func(region string) EC2API
	IAM          IAMAPI
	STS          awsclient.STSAPI
	Clock        Clock
	// Poll spaces the GetImage calls (default: a StagePolicy).
	Poll PollPolicy
	// Log receives progress lines.
	Log io.Writer
}

func (b *Baker) logf(format string, args ...any) {
	if b.Log != nil {
		fmt.Fprintf(b.Log, format+"\n", args...)
	}
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

	parts := []string{recipeARN, infraHash, distHash}
	if role := cfg.ImageBuilder.ExecutionRole; role != "" {
		// Another role is another build; none keeps earlier bake IDs.
		parts = append(parts, role)
	}
	bakeID := hash(parts...)[:32]
	buildARN, err := b.startOrResume(ctx, api, img, bakeID, recipeARN, infraARN, distARN, cfg.ImageBuilder)
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
		Finished: buildTime(image, b.Clock),
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

// buildTime is the build's own time, Image Builder's dateCreated, so that
// a rerun which finds the same build records the same time.
func buildTime(image *types.Image, clock Clock) string {
	if t, err := time.Parse(time.RFC3339, aws.ToString(image.DateCreated)); err == nil {
		return t.UTC().Format(time.RFC3339)
	}
	return clock.Now().UTC().Format(time.RFC3339)
}
