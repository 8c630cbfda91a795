package bake

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/winbake/winbake/internal/config"
)

// DescribeImagesAPI is the EC2 call that tells an AMI's creation date.
type DescribeImagesAPI interface {
	DescribeImages(ctx context.Context, in *ec2.DescribeImagesInput, opts ...func(*ec2.Options)) (*ec2.DescribeImagesOutput, error)
}

// amiCreated is the build's own time for a Packer bake: the CreationDate
// EC2 gives the AMI of the build region (DescribeImages). A rerun that
// finds the same AMI then records the same time. Without it, the time the
// builder wrote stays.
func amiCreated(ctx context.Context, ec2For func(region string) DescribeImagesAPI, img config.Image, baked Image) string {
	ami, ok := baked.AMIIn(img.BuildRegion())
	if !ok {
		return baked.Finished
	}
	out, err := ec2For(img.BuildRegion()).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami}})
	if err != nil || len(out.Images) == 0 {
		return baked.Finished
	}
	t, err := time.Parse(time.RFC3339, aws.ToString(out.Images[0].CreationDate))
	if err != nil {
		return baked.Finished
	}
	return t.UTC().Format(time.RFC3339)
}
