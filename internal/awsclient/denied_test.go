package awsclient_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/smithy-go"

	"github.com/winbake/winbake/internal/awsclient"
)

// TestDenialSaysWhichPolicyRefused: AWS's message ends by naming the kind
// of policy that refused ("because no <type> allows the <action> action" /
// "with an explicit deny in a <type>", IAM User Guide, "Troubleshoot access
// denied error messages"). Only a missing identity-based Allow is mended in
// the role's policy; telling the user to allow what an SCP denies sends them
// the wrong way.
func TestDenialSaysWhichPolicyRefused(t *testing.T) {
	const who = "User: arn:aws:sts::123456789012:assumed-role/winbake/ci is not authorized to perform: "
	for _, tc := range []struct {
		name, code, msg, action, resource string
		want, not                         []string
	}{
		{"no identity-based allow", "AccessDeniedException",
			who + "imagebuilder:GetComponent on resource: arn:aws:imagebuilder:us-east-1:123456789012:component/winbake-x/1.0.0/1 because no identity-based policy allows the imagebuilder:GetComponent action",
			"imagebuilder:GetComponent", "arn:aws:imagebuilder:us-east-1:123456789012:component/winbake-x/1.0.0/1",
			[]string{"allow it for the role winbake runs as", `"winbake policy"`}, nil},
		{"service control policy", "AccessDeniedException",
			who + "imagebuilder:CreateImage on resource: arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-x/1.0.0/1 with an explicit deny in a service control policy",
			"imagebuilder:CreateImage", "arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-x/1.0.0/1",
			[]string{"explicit Deny in a service control policy", "no Allow in the role's policy overrides"}, []string{"allow it for the role"}},
		{"deny in the role's own policies", "AccessDeniedException",
			who + "ssm:GetParameter on resource: arn:aws:ssm:us-east-1::parameter/aws/service/ami-windows-latest/x with an explicit deny in an identity-based policy",
			"ssm:GetParameter", "arn:aws:ssm:us-east-1::parameter/aws/service/ami-windows-latest/x",
			[]string{"explicit Deny in an identity-based policy"}, []string{"allow it for the role"}},
		{"permissions boundary", "AccessDenied",
			who + "iam:GetInstanceProfile on resource: instance profile WinbakeInstanceProfile because no permissions boundary allows the iam:GetInstanceProfile action",
			"iam:GetInstanceProfile", "instance profile WinbakeInstanceProfile",
			[]string{"permissions boundary in force allows no such call"}, []string{"allow it for the role"}},
		{"repository policy", "AccessDeniedException",
			who + "ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:111122223333:repository/app because no resource-based policy allows the ecr:BatchGetImage action",
			"ecr:BatchGetImage", "arn:aws:ecr:us-east-1:111122223333:repository/app",
			[]string{"resource-based policy in force"}, []string{"allow it for the role"}},
		{"ec2, encoded, with the action", "UnauthorizedOperation",
			"You are not authorized to perform this operation. " + who + "ec2:DeleteSnapshot on resource: arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0 with an explicit deny in a service control policy. Encoded authorization failure message: AbC",
			"ec2:DeleteSnapshot", "arn:aws:ec2:us-east-1::snapshot/snap-0123456789abcdef0",
			[]string{"service control policy"}, []string{"allow it for the role"}},
		{"image builder's modeled 403", "ForbiddenException",
			who + "imagebuilder:GetImage on resource: arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-x/1.0.0/1 because no identity-based policy allows the imagebuilder:GetImage action",
			"imagebuilder:GetImage", "arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-x/1.0.0/1",
			[]string{"allow it for the role winbake runs as"}, nil},
		{"ec2, encoded only", "UnauthorizedOperation",
			"You are not authorized to perform this operation. Encoded authorization failure message: AbC",
			"ec2:DescribeImages", "", []string{"allow it for the role winbake runs as"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := &smithy.OperationError{ServiceID: strings.Split(tc.action, ":")[0], OperationName: strings.Split(tc.action, ":")[1],
				Err: &smithy.GenericAPIError{Code: tc.code, Message: tc.msg}}
			d, ok := awsclient.AsDenied(err)
			if !ok {
				t.Fatalf("not a denial: %v", err)
			}
			if d.Action != tc.action || d.Resource != tc.resource {
				t.Errorf("action %q on %q, want %q on %q", d.Action, d.Resource, tc.action, tc.resource)
			}
			msg := d.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q: %s", w, msg)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(msg, n) {
					t.Errorf("message holds %q: %s", n, msg)
				}
			}
		})
	}
}

// TestDenialOfTheCredentials: when the SDK cannot assume the role (web
// identity, as on EKS or with AWS_ROLE_ARN), the call fails with the STS
// call wrapped inside (aws-sdk-go-v2 credentials/stscreds
// web_identity_provider.go, "failed to retrieve credentials, %w"), and STS
// words it "Not authorized to perform sts:AssumeRoleWithWebIdentity". The
// fix is the role's trust policy, not a permission for the call.
func TestDenialOfTheCredentials(t *testing.T) {
	sts := &smithy.OperationError{ServiceID: "STS", OperationName: "AssumeRoleWithWebIdentity",
		Err: &smithy.GenericAPIError{Code: "AccessDenied", Message: "Not authorized to perform sts:AssumeRoleWithWebIdentity"}}
	err := &smithy.OperationError{ServiceID: "imagebuilder", OperationName: "GetImage",
		Err: fmt.Errorf("get identity: get credentials: failed to refresh cached credentials, %w", fmt.Errorf("failed to retrieve credentials, %w", sts))}
	d, ok := awsclient.AsDenied(err)
	if !ok {
		t.Fatalf("not a denial: %v", err)
	}
	msg := d.Error()
	if d.Action != "sts:AssumeRoleWithWebIdentity" || !strings.Contains(msg, "trust policy") || strings.Contains(msg, "allow it for the role") {
		t.Errorf("action %q: %s", d.Action, msg)
	}
}
