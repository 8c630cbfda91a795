// Package awsarn builds the ARNs winbake writes into recipes and policies,
// with the partition that owns each region (aws, aws-cn, aws-us-gov, ...).
package awsarn

import "strings"

// partitions maps region prefixes to their partition, after the regionRegex
// of each partition in the SDK's endpoint rules (aws-sdk-go-v2
// internal/endpoints/awsrulesfn/partitions.json). Longest prefixes first.
var partitions = []struct{ prefix, partition string }{
	{"us-isob-", "aws-iso-b"},
	{"us-isof-", "aws-iso-f"},
	{"eu-isoe-", "aws-iso-e"},
	{"us-iso-", "aws-iso"},
	{"us-gov-", "aws-us-gov"},
	{"eusc-", "aws-eusc"},
	{"cn-", "aws-cn"},
}

// Partition is the AWS partition of a region; "aws" for the commercial
// regions.
func Partition(region string) string {
	for _, p := range partitions {
		if strings.HasPrefix(region, p.prefix) {
			return p.partition
		}
	}
	return "aws"
}

// ARN joins the parts of an ARN in the partition of partitionRegion. Global
// services (IAM, S3) leave the region out of their ARNs: pass "" as region
// and any region of the partition as partitionRegion.
func ARN(partitionRegion, service, region, account, resource string) string {
	return "arn:" + Partition(partitionRegion) + ":" + service + ":" + region + ":" + account + ":" + resource
}
