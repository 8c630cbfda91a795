package awsfake_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestPolicyTagConditionsOnAMIs: a statement held to aws:ResourceTag lets
// a call through on an AMI with the tag and refuses it on one without; one
// held to aws:RequestTag lets through only tags it names.
func TestPolicyTagConditionsOnAMIs(t *testing.T) {
	s := awsfake.Start(t)
	ours := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win", Tags: map[string]string{"winbake:image": "win"}})
	theirs := s.AddImage("us-east-1", awsfake.Image{Name: "other"})
	err := s.AllowPolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Action":["ec2:DeregisterImage"],"Resource":["arn:aws:ec2:us-east-1::image/*"],
		 "Condition":{"StringEquals":{"aws:ResourceTag/winbake:image":["win"]}}},
		{"Effect":"Allow","Action":["ec2:CreateTags"],"Resource":["arn:aws:ec2:us-east-1::image/*"],
		 "Condition":{"StringEquals":{"aws:RequestTag/winbake:image":["win"]}}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	api := clients.EC2("us-east-1")
	ctx := context.Background()
	denied := func(err error) bool { return awsclient.ErrorCode(err) == "UnauthorizedOperation" }

	if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(theirs)}); !denied(err) {
		t.Errorf("untagged AMI: err = %v, want a denial", err)
	}
	if _, err := api.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(ours)}); denied(err) {
		t.Errorf("tagged AMI was refused: %v", err)
	}
	tag := func(v string) error {
		_, err := api.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{ours}, Tags: []ec2types.Tag{{Key: aws.String("winbake:image"), Value: aws.String(v)}}})
		return err
	}
	if err := tag("other"); !denied(err) {
		t.Errorf("tagging with another value: err = %v, want a denial", err)
	}
	if err := tag("win"); denied(err) {
		t.Errorf("tagging with the allowed value was refused: %v", err)
	}
}
