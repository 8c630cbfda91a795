// Package imagebuilder bakes an image on EC2 Image Builder: it keeps the
// component, recipe and configurations in step with the config (versioned
// by content, created only when something changed), starts one build per
// distinct input, and waits for it, resuming a build an earlier run started.
package imagebuilder

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
)

// API is the part of Image Builder a bake calls.
type API interface {
	CreateComponent(context.Context, *ib.CreateComponentInput, ...func(*ib.Options)) (*ib.CreateComponentOutput, error)
	ListComponents(context.Context, *ib.ListComponentsInput, ...func(*ib.Options)) (*ib.ListComponentsOutput, error)
	ListComponentBuildVersions(context.Context, *ib.ListComponentBuildVersionsInput, ...func(*ib.Options)) (*ib.ListComponentBuildVersionsOutput, error)
	CreateImageRecipe(context.Context, *ib.CreateImageRecipeInput, ...func(*ib.Options)) (*ib.CreateImageRecipeOutput, error)
	ListImageRecipes(context.Context, *ib.ListImageRecipesInput, ...func(*ib.Options)) (*ib.ListImageRecipesOutput, error)
	CreateInfrastructureConfiguration(context.Context, *ib.CreateInfrastructureConfigurationInput, ...func(*ib.Options)) (*ib.CreateInfrastructureConfigurationOutput, error)
	UpdateInfrastructureConfiguration(context.Context, *ib.UpdateInfrastructureConfigurationInput, ...func(*ib.Options)) (*ib.UpdateInfrastructureConfigurationOutput, error)
	ListInfrastructureConfigurations(context.Context, *ib.ListInfrastructureConfigurationsInput, ...func(*ib.Options)) (*ib.ListInfrastructureConfigurationsOutput, error)
	CreateDistributionConfiguration(context.Context, *ib.CreateDistributionConfigurationInput, ...func(*ib.Options)) (*ib.CreateDistributionConfigurationOutput, error)
	UpdateDistributionConfiguration(context.Context, *ib.UpdateDistributionConfigurationInput, ...func(*ib.Options)) (*ib.UpdateDistributionConfigurationOutput, error)
	ListDistributionConfigurations(context.Context, *ib.ListDistributionConfigurationsInput, ...func(*ib.Options)) (*ib.ListDistributionConfigurationsOutput, error)
	CreateImage(context.Context, *ib.CreateImageInput, ...func(*ib.Options)) (*ib.CreateImageOutput, error)
	GetImage(context.Context, *ib.GetImageInput, ...func(*ib.Options)) (*ib.GetImageOutput, error)
	ListImageBuildVersions(context.Context, *ib.ListImageBuildVersionsInput, ...func(*ib.Options)) (*ib.ListImageBuildVersionsOutput, error)
}

// EC2API checks the subnet before anything is created.
type EC2API interface {
	DescribeSubnets(context.Context, *ec2.DescribeSubnetsInput, ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error)
}

// IAMAPI checks the instance profile before anything is created.
type IAMAPI interface {
	GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
}
