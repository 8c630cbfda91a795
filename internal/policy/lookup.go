package policy

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// STSAPI finds the account of the credentials.
type STSAPI interface {
	GetCallerIdentity(context.Context, *sts.GetCallerIdentityInput, ...func(*sts.Options)) (*sts.GetCallerIdentityOutput, error)
}

// IAMAPI finds the role in the instance profile.
type IAMAPI interface {
	GetInstanceProfile(context.Context, *iam.GetInstanceProfileInput, ...func(*iam.Options)) (*iam.GetInstanceProfileOutput, error)
}

// Lookup fills in what AWS can tell: the account (unless given) and the
// instance profile's role. What it cannot find it leaves to the config,
// and says so in notes.
func Lookup(ctx context.Context, cfg *config.Config, in Inputs, stsAPI STSAPI, iamAPI IAMAPI) (Inputs, []string) {
	var notes []string
	if in.Account == "" {
		out, err := stsAPI.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			notes = append(notes, fmt.Sprintf("no AWS account from the credentials (%v): writing * for it; pass --account", awsclient.Explain(err)))
			return in, append(notes, roleNote(cfg))
		}
		in.Account = aws.ToString(out.Account)
	}
	profile := cfg.ImageBuilder.InstanceProfile
	out, err := iamAPI.GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String(profile)})
	switch {
	case err != nil:
		notes = append(notes, fmt.Sprintf("could not look up instance profile %s (%v)", profile, awsclient.Explain(err)), roleNote(cfg))
	case len(out.InstanceProfile.Roles) == 0:
		notes = append(notes, fmt.Sprintf("instance profile %s holds no role; add the role the build instances run as", profile), roleNote(cfg))
	case arnAccount(aws.ToString(out.InstanceProfile.Roles[0].Arn)) != in.Account:
		// --account names another account than the credentials': their
		// profile is not the one the policy is for.
		notes = append(notes, fmt.Sprintf("instance profile %s was looked up in account %s, not %s (--account)", profile,
			arnAccount(aws.ToString(out.InstanceProfile.Roles[0].Arn)), in.Account), roleNote(cfg))
	default:
		in.InstanceProfileRoleARN = aws.ToString(out.InstanceProfile.Roles[0].Arn)
		in.InstanceProfileARN = aws.ToString(out.InstanceProfile.Arn)
	}
	return in, notes
}

func roleNote(cfg *config.Config) string {
	ic := cfg.ImageBuilder
	if ic.InstanceProfileRole != "" {
		return fmt.Sprintf("iam:PassRole names role %s from imagebuilder.instanceProfileRole", ic.InstanceProfileRole)
	}
	return fmt.Sprintf("iam:PassRole names role %s, the instance profile's name; set imagebuilder.instanceProfileRole if its role is named otherwise", ic.InstanceProfile)
}

// arnAccount is the account field of an ARN (arn:partition:service:region:account:resource).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}
