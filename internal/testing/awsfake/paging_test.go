package awsfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

// Pagination (EC2 API Reference, Query-Requests.html#api-pagination): at
// most MaxResults items a page, a nextToken while more remain, none on the
// last page. DescribeImages without MaxResults answers everything at once.
func TestDescribeImagesPagesOnlyWithMaxResults(t *testing.T) {
	s := awsfake.Start(t)
	s.PageSize = 2
	c, ctx := client(t), context.Background()
	for range 5 {
		s.AddBakedAMI(region, "win", s.Clock.Now(), 8)
	}
	all, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil || len(all.Images) != 5 || all.NextToken != nil {
		t.Fatalf("without MaxResults: %v, %d images, token %v", err, len(all.Images), aws.ToString(all.NextToken))
	}
	// PageSize never gives more than the caller's MaxResults.
	for _, max := range []int32{1, 1000} {
		var ids []string
		pages := 0
		p := ec2.NewDescribeImagesPaginator(c, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(max)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Images) > int(min(max, 2)) {
				t.Errorf("MaxResults %d: a page of %d", max, len(page.Images))
			}
			pages++
			for _, im := range page.Images {
				ids = append(ids, aws.ToString(im.ImageId))
			}
		}
		if len(ids) != 5 || pages != (5+int(min(max, 2))-1)/int(min(max, 2)) {
			t.Errorf("MaxResults %d: %d images in %d pages", max, len(ids), pages)
		}
	}
}

// DescribeLaunchTemplateVersions and DescribeFastLaunchImages document no
// "all results" default, so PageSize pages them without MaxResults too.
func TestLaunchTemplateVersionsAndFastLaunchPage(t *testing.T) {
	s := awsfake.Start(t)
	s.PageSize = 2
	c, ctx := client(t), context.Background()
	for range 3 {
		ami, _ := s.AddBakedAMI(region, "win", s.Clock.Now(), 8)
		s.AddLaunchTemplate(region, awsfake.LaunchTemplate{Images: []string{ami}})
		s.EnableFastLaunch(region, ami, 1)
	}
	lt, err := c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Latest"}})
	if err != nil || len(lt.LaunchTemplateVersions) != 2 || lt.NextToken == nil {
		t.Fatalf("first page: %v %+v", err, lt)
	}
	lt, err = c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Latest"}, NextToken: lt.NextToken})
	if err != nil || len(lt.LaunchTemplateVersions) != 1 || lt.NextToken != nil {
		t.Fatalf("last page: %v %+v", err, lt)
	}
	fl, err := c.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{MaxResults: aws.Int32(1)})
	if err != nil || len(fl.FastLaunchImages) != 1 || fl.NextToken == nil {
		t.Fatalf("fast launch, MaxResults 1: %v %+v", err, fl)
	}
}

// Bad paging input: MaxResults outside each action's range is
// InvalidParameterValue (DescribeInstances 5-1000, DescribeLaunchTemplate
// Versions 1-200, DescribeFastLaunchImages 0-200), except DescribeSnapshots,
// which answers 1,000 for more; MaxResults with instance IDs is refused; a
// token that no earlier page of this action gave is InvalidPaginationToken.
func TestPagingInputIsChecked(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	s.AddBakedAMI(region, "win", s.Clock.Now(), 8)
	_, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(4)})
	code(t, err, "InvalidParameterValue")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(1001)})
	code(t, err, "InvalidParameterValue")
	_, err = c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{MaxResults: aws.Int32(5), InstanceIds: []string{"i-0123456789abcdef0"}})
	code(t, err, "InvalidParameterCombination")
	_, err = c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Latest"}, MaxResults: aws.Int32(201)})
	code(t, err, "InvalidParameterValue")
	_, err = c.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{MaxResults: aws.Int32(201)})
	code(t, err, "InvalidParameterValue")
	if _, err = c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(5000)}); err != nil {
		t.Errorf("DescribeSnapshots MaxResults 5000: %v", err)
	}
	_, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(5), NextToken: aws.String("not-a-token")})
	code(t, err, "InvalidPaginationToken")

	s.PageSize = 1
	s.AddBakedAMI(region, "win", s.Clock.Now(), 8)
	snaps, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(5)})
	if err != nil || snaps.NextToken == nil {
		t.Fatalf("snapshots: %v %+v", err, snaps)
	}
	_, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, MaxResults: aws.Int32(5), NextToken: snaps.NextToken})
	code(t, err, "InvalidPaginationToken")
}
