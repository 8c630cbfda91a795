package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// STSAPI proves there are AWS credentials at all.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// CheckCredentials proves the credentials work. GetCallerIdentity needs no
// permission: "No permissions are required to perform this operation"
// (AWS STS API Reference, GetCallerIdentity).
func CheckCredentials(ctx context.Context, api STSAPI) error {
	if _, err := api.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		return Explain(err)
	}
	return nil
}
