package awsclient

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/smithy-go"
)

// PolicyFile is the IAM policy document listing every action winbake calls.
const PolicyFile = "iam/winbake-policy.json"

// ErrorCode returns an AWS error's code ("ThrottlingException"), or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

var denied = map[string]bool{"AccessDeniedException": true, "AccessDenied": true, "UnauthorizedOperation": true}

// IAMAction names the IAM action of a failed SDK call ("imagebuilder:CreateImage").
func IAMAction(err error) string {
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(oe.ServiceID, " ", "")) + ":" + oe.OperationName
}

// Explain makes an AWS error actionable: a denial names the action and the
// policy document that grants it, a missing credential says where
// credentials come from.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	if denied[ErrorCode(err)] {
		return fmt.Errorf("AWS denied %s: grant the actions in %s to the role winbake runs as: %w", IAMAction(err), PolicyFile, err)
	}
	if strings.Contains(err.Error(), "failed to refresh cached credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found") {
		return fmt.Errorf("no AWS credentials: set them in the environment (in GitHub Actions, use aws-actions/configure-aws-credentials with OIDC): %w", err)
	}
	return err
}
