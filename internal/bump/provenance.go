package bump

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/config"
)

// Tags EC2 Image Builder adds to the AMIs it distributes ("Tag Image
// Builder output resources", EC2 Image Builder User Guide), and the one
// winbake's Packer template adds.
const (
	tagImageBuilderARN = "Ec2ImageBuilderArn"
	tagBuilder         = "winbake:builder"
)

// FromAMIs describes AMIs baked elsewhere (bump --image NAME --ami
// REGION=AMI) from what EC2 knows about them: the creation date and the
// tags winbake puts on the AMIs it bakes. What they do not tell stays
// empty, and the pull request leaves it out rather than guess.
func FromAMIs(ctx context.Context, ec2For func(region string) amiref.EC2API, img config.Image, amis []bake.AMI) (bake.Image, error) {
	out := bake.Image{Name: img.Name, AMIs: amis}
	head := amis[0]
	for _, a := range amis {
		if a.Region == img.BuildRegion() {
			head = a
		}
	}
	res, err := ec2For(head.Region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{head.AMI}})
	var ae smithy.APIError
	if err != nil && !(errors.As(err, &ae) && ae.ErrorCode() == "InvalidAMIID.NotFound") {
		return out, fmt.Errorf("describing %s in %s: %w", head.AMI, head.Region, awsclient.Explain(err))
	}
	if err != nil || len(res.Images) == 0 {
		return out, fmt.Errorf("--ami %s=%s: EC2 knows no such AMI in %s", head.Region, head.AMI, head.Region)
	}
	ami := res.Images[0]
	if t, err := time.Parse(time.RFC3339, aws.ToString(ami.CreationDate)); err == nil {
		out.Finished = t.UTC().Format(time.RFC3339)
	}
	tags := map[string]string{}
	for _, t := range ami.Tags {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	if tags[amitag.Image] != img.Name {
		// Not baked by winbake for this image: nothing else is known.
		return out, nil
	}
	out.Kubernetes, out.Windows, out.BaseAMI = tags[amitag.Kubernetes], tags[amitag.Windows], tags[amitag.BaseAMI]
	if arn := tags[tagImageBuilderARN]; arn != "" {
		out.Builder, out.BuildVersionARN = config.BuilderImageBuilder, arn
	} else if b := tags[tagBuilder]; b != "" {
		out.Builder = b
	}
	if u, err := strconv.ParseBool(tags[amitag.Updates]); err == nil && out.Builder != "" {
		out.Updates = u
	}
	n, _ := strconv.Atoi(tags[amitag.CacheCount])
	for i := range n {
		ref, digest, ok := strings.Cut(tags[amitag.Cache(i)], "@")
		if ok {
			out.Cache = append(out.Cache, bake.Cached{Ref: ref, Digest: digest})
		}
	}
	return out, nil
}
