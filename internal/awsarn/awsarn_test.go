package awsarn

import "testing"

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1": "aws", "eu-west-1": "aws", "cn-north-1": "aws-cn", "cn-northwest-1": "aws-cn",
		"us-gov-west-1": "aws-us-gov", "us-iso-east-1": "aws-iso", "us-isob-east-1": "aws-iso-b",
	} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%s) = %s, want %s", region, got, want)
		}
	}
	if got := ARN("us-gov-west-1", "iam", "", "123456789012", "role/x"); got != "arn:aws-us-gov:iam::123456789012:role/x" {
		t.Errorf("ARN = %s", got)
	}
}
