package awsfake_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// These tests hold the fake to what EC2's API reference says, through the
// real SDK client; each names the behaviour it checks.

const region = "us-east-1"

func client(t *testing.T) *ec2.Client {
	t.Helper()
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return clients.EC2(region)
}

func code(t *testing.T, err error, want string) {
	t.Helper()
	if got := awsclient.ErrorCode(err); got != want {
		t.Errorf("error %v, want code %s", err, want)
	}
}

// DeleteSnapshot: "You cannot delete a snapshot of the root device of an
// EBS volume used by a registered AMI. You must first deregister the AMI".
// DeregisterImage leaves the snapshots unless asked; a deregistered AMI
// answers InvalidAMIID.Unavailable.
func TestSnapshotOfARegisteredAMICannotBeDeleted(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	ami, snap := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)

	_, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	code(t, err, "InvalidSnapshot.InUse")
	if _, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ami)}); err != nil {
		t.Fatal(err)
	}
	if _, ok := s.FindSnapshot(region, snap); !ok {
		t.Fatal("DeregisterImage deleted the snapshot without DeleteAssociatedSnapshots")
	}
	_, err = c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ami)})
	code(t, err, "InvalidAMIID.Unavailable")
	if _, err := c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap)})
	code(t, err, "InvalidSnapshot.NotFound")
}

// DeleteAssociatedSnapshots: "If a snapshot is associated with multiple
// AMIs, it is not deleted, regardless of this setting."
func TestDeregisterDeletesOnlyUnsharedSnapshots(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	ami, own := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	other, shared := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	s.AttachSnapshot(region, ami, "/dev/xvdb", shared, 50)
	out, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ami), DeleteAssociatedSnapshots: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	codes := map[string]ec2types.SnapshotReturnCodes{}
	for _, r := range out.DeleteSnapshotResults {
		codes[aws.ToString(r.SnapshotId)] = r.ReturnCode
	}
	if codes[own] != "success" || codes[shared] != "skipped" {
		t.Errorf("results %v", codes)
	}
	if _, ok := s.FindSnapshot(region, shared); !ok {
		t.Errorf("the snapshot %s uses was deleted", other)
	}
}

// Deregistration protection keeps an AMI from being deregistered; describe
// shows its state ("disabled" when off).
func TestDeregistrationProtection(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	ami, _ := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	plain, _ := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	s.SetDeregistrationProtection(region, ami, "enabled-with-cooldown")
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{ami, plain}})
	if err != nil || len(out.Images) != 2 {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, im := range out.Images {
		got[aws.ToString(im.ImageId)] = aws.ToString(im.DeregistrationProtection)
	}
	if got[ami] != "enabled-with-cooldown" || got[plain] != "disabled" {
		t.Errorf("DeregistrationProtection %v", got)
	}
	_, err = c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ami)})
	code(t, err, "OperationNotPermitted")
}

// DescribeImages: Owner self, tag and snapshot filters, and the block
// device mapping with snapshot IDs.
func TestDescribeImagesByOwnerTagAndSnapshot(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	ami, snap := s.AddBakedAMI(region, "win", s.Clock.Now(), 64)
	s.AddBakedAMI(region, "other", s.Clock.Now(), 64)
	s.AddImage(region, awsfake.Image{Name: "theirs", Owner: "210987654321", Tags: map[string]string{"winbake:image": "win"}})
	out, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("tag:winbake:image"), Values: []string{"win"}}}})
	if err != nil || len(out.Images) != 1 || aws.ToString(out.Images[0].ImageId) != ami {
		t.Fatalf("%v %+v", err, out)
	}
	bdm := out.Images[0].BlockDeviceMappings
	if len(bdm) != 1 || aws.ToString(bdm[0].Ebs.SnapshotId) != snap || aws.ToInt32(bdm[0].Ebs.VolumeSize) != 64 {
		t.Errorf("block device mapping %+v", bdm)
	}
	out, err = c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("block-device-mapping.snapshot-id"), Values: []string{snap}}}})
	if err != nil || len(out.Images) != 1 || aws.ToString(out.Images[0].ImageId) != ami {
		t.Errorf("by snapshot: %v %+v", err, out)
	}
}

// DescribeLaunchTemplateVersions without a template: $Latest and $Default
// of every template, numbers refused; ResolveAlias shows the AMI an SSM
// parameter names.
func TestLaunchTemplateVersionsLatestAndDefault(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	s.SetParameter(region, "/winbake/win/ami", "ami-0000000000000000c")
	s.AddLaunchTemplate(region, awsfake.LaunchTemplate{Name: "a", Images: []string{"ami-0000000000000000a", "ami-0000000000000000b", "resolve:ssm:/winbake/win/ami"}, Default: 2})
	out, err := c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"$Latest", "$Default"}, ResolveAlias: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[int64]string{}
	for _, v := range out.LaunchTemplateVersions {
		got[aws.ToInt64(v.VersionNumber)] = aws.ToString(v.LaunchTemplateData.ImageId)
		if aws.ToBool(v.DefaultVersion) != (aws.ToInt64(v.VersionNumber) == 2) {
			t.Errorf("version %d: defaultVersion %v", aws.ToInt64(v.VersionNumber), aws.ToBool(v.DefaultVersion))
		}
	}
	if len(got) != 2 || got[2] != "ami-0000000000000000b" || got[3] != "ami-0000000000000000c" {
		t.Errorf("versions %v", got)
	}
	_, err = c.DescribeLaunchTemplateVersions(ctx, &ec2.DescribeLaunchTemplateVersionsInput{Versions: []string{"1"}})
	code(t, err, "InvalidParameterValue")
}

// DescribeInstances by image-id and instance-state-name.
func TestDescribeInstancesByImageAndState(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	s.AddInstance(region, awsfake.Instance{ImageID: "ami-0000000000000000a", State: "terminated"})
	live := s.AddInstance(region, awsfake.Instance{ImageID: "ami-0000000000000000a", State: "stopped"})
	s.AddInstance(region, awsfake.Instance{ImageID: "ami-0000000000000000b"})
	out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{Filters: []ec2types.Filter{
		{Name: aws.String("image-id"), Values: []string{"ami-0000000000000000a"}},
		{Name: aws.String("instance-state-name"), Values: []string{"pending", "running", "stopping", "stopped"}},
	}})
	if err != nil || len(out.Reservations) != 1 || aws.ToString(out.Reservations[0].Instances[0].InstanceId) != live ||
		out.Reservations[0].Instances[0].State.Name != ec2types.InstanceStateNameStopped || aws.ToInt32(out.Reservations[0].Instances[0].State.Code) != 80 {
		t.Errorf("%v %+v", err, out)
	}
}

// DisableFastLaunch moves the AMI to "disabling"; EC2 then removes the
// pre-provisioned snapshots, after which the AMI is no longer listed.
func TestFastLaunchDisablingTakesAWhile(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	ami, _ := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	pre := s.EnableFastLaunch(region, ami, 2)
	out, err := c.DisableFastLaunch(ctx, &ec2.DisableFastLaunchInput{ImageId: aws.String(ami)})
	if err != nil || out.State != ec2types.FastLaunchStateCodeDisabling {
		t.Fatalf("%v %+v", err, out)
	}
	list, _ := c.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{ami}})
	if len(list.FastLaunchImages) != 1 {
		t.Fatalf("listed %+v", list)
	}
	s.Clock.Advance(awsfake.FastLaunchCleanup + time.Second)
	list, _ = c.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{ami}})
	if len(list.FastLaunchImages) != 0 {
		t.Errorf("still listed %+v", list.FastLaunchImages)
	}
	for _, id := range pre {
		if _, ok := s.FindSnapshot(region, id); ok {
			t.Errorf("pre-provisioned snapshot %s left", id)
		}
	}
}

// DryRun: DryRunOperation when the call would be allowed,
// UnauthorizedOperation when the policy denies it; nothing changes.
func TestDryRun(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	ami, snap := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	_, err := c.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ami), DryRun: aws.Bool(true)})
	code(t, err, "DryRunOperation")
	s.AllowOnly([]string{"ec2:DeregisterImage"})
	_, err = c.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(snap), DryRun: aws.Bool(true)})
	code(t, err, "UnauthorizedOperation")
	if s.Deregistered(region, ami) {
		t.Error("a DryRun call deregistered the AMI")
	}
	calls := s.Calls()
	if len(calls) != 2 || !calls[0].DryRun || calls[0].Target != ami || calls[1].Target != snap {
		t.Errorf("calls %+v", calls)
	}
}

// CreateTags tags snapshots and AMIs; DescribeSnapshots filters by tag.
func TestTagsOnSnapshots(t *testing.T) {
	s := awsfake.Start(t)
	c, ctx := client(t), context.Background()
	_, snap := s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	s.AddBakedAMI(region, "win", s.Clock.Now(), 50)
	if _, err := c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{snap}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeSnapshots(ctx, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: []ec2types.Filter{{Name: aws.String("tag-key"), Values: []string{"k"}}}})
	if err != nil || len(out.Snapshots) != 1 || aws.ToString(out.Snapshots[0].SnapshotId) != snap || aws.ToInt32(out.Snapshots[0].VolumeSize) != 50 {
		t.Errorf("%v %+v", err, out)
	}
	tags, err := c.DescribeTags(ctx, &ec2.DescribeTagsInput{Filters: []ec2types.Filter{{Name: aws.String("resource-id"), Values: []string{snap}}}})
	if err != nil || len(tags.Tags) != 1 || tags.Tags[0].ResourceType != ec2types.ResourceTypeSnapshot {
		t.Errorf("%v %+v", err, tags)
	}
	_, err = c.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{"snap-0000000000000dead"}, Tags: []ec2types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}})
	code(t, err, "InvalidSnapshot.NotFound")
}
