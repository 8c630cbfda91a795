package imagebuilder

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// Preflight checks what can be checked before anything is created: that
// there are credentials, the instance profile exists, and the subnet is in
// the build region.
func (b *Baker) Preflight(ctx context.Context, cfg *config.Config, img config.Image) error {
	if err := awsclient.CheckCredentials(ctx, b.STS); err != nil {
		return err
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
