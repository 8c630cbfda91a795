package awsclient

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/smithy-go"
)

// PolicyFile is the IAM policy of the embedded default config; "winbake
// policy" prints the one a config needs.
const PolicyFile = "iam/winbake-policy.json"

// ErrorCode returns an AWS error's code ("ThrottlingException"), or "".
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// Denials by service: Image Builder answers 403 AccessDeniedException, SSM
// 400 AccessDeniedException, EC2 403 UnauthorizedOperation, IAM and STS
// 403 AccessDenied (the "Common Errors" of each service's API reference).
// Image Builder also models 403 ForbiddenException, "You are not authorized
// to perform the requested operation", on nearly every operation
// (aws-sdk-go-v2 service/imagebuilder types/errors.go).
var denied = map[string]bool{"AccessDeniedException": true, "AccessDenied": true, "UnauthorizedOperation": true, "ForbiddenException": true}

// AWS names the refused action in the message: "User: arn:... is not
// authorized to perform: imagebuilder:GetComponent on resource: arn:...
// because no identity-based policy allows ..." (IAM User Guide,
// "Troubleshoot access denied error messages"; EC2 prefixes "You are not
// authorized to perform this operation."). It is often not the operation
// called: CreateImageRecipe is refused for GetComponent.
var (
	deniedActionRE = regexp.MustCompile(`is not authorized to perform: ([A-Za-z0-9-]+:[A-Za-z0-9]+)`)
	// IAM names some resources in words ("instance profile X").
	deniedResourceRE = regexp.MustCompile(`is not authorized to perform: \S+ on resource: (.+?)(?: because no | with an explicit deny |\. Encoded authorization|$)`)
	// The rest of the message says which policy refused: "because no
	// <policy type> allows the <action> action" or "with an explicit deny in
	// a(n) <policy type>" (same guide). Only a missing identity-based allow
	// is mended in the role's own policy.
	deniedByRE = regexp.MustCompile(`(because no|with an explicit deny in an?) (service control policy|resource control policy|VPC endpoint policy|permissions boundary|session policy|identity-based policy|resource-based policy)`)
)

// Denied is a call AWS refused for want of a permission.
type Denied struct {
	// Action is the IAM action AWS refused, from its message, or else the
	// action of the operation called.
	Action string
	// Resource is the resource AWS named, if any.
	Resource string
	// Call is the IAM action of the operation called.
	Call string
	// Policy is the kind of policy that refused ("service control policy"),
	// and Explicit whether it holds a Deny rather than lacking an Allow; ""
	// when AWS's message does not say.
	Policy   string
	Explicit bool
	Err      error
}

func (d *Denied) Error() string {
	what := d.Action
	if d.Resource != "" {
		what += " on " + d.Resource
	}
	if d.Call != "" && d.Call != d.Action {
		what += " (" + d.Call + " needs it)"
	}
	return fmt.Sprintf("AWS denied %s: %s: %v", what, d.advice(), d.Err)
}

// advice says where the fix lies: an Allow in the role's policy helps only
// when no identity-based policy allowed the action.
func (d *Denied) advice() string {
	grant := fmt.Sprintf("\"winbake policy\" prints the policy this config needs (%s for the default config)", PolicyFile)
	switch {
	case strings.HasPrefix(d.Action, "sts:AssumeRole"):
		// STS answers "Not authorized to perform sts:AssumeRoleWithWebIdentity"
		// when the role's trust policy refuses the caller.
		return "the role's trust policy does not let these credentials assume it (for GitHub's OIDC, check its token.actions.githubusercontent.com:sub and :aud conditions)"
	case d.Policy == "" || d.Policy == "identity-based policy" && !d.Explicit:
		return "allow it for the role winbake runs as; " + grant
	case d.Explicit:
		return fmt.Sprintf("an explicit Deny in %s %s refuses it, and no Allow in the role's policy overrides that: ask whoever owns that %s to exempt it (%s)", article(d.Policy), d.Policy, d.Policy, grant)
	default:
		return fmt.Sprintf("the %s in force allows no such call, whatever the role's own policy grants: ask whoever owns it to allow it (%s)", d.Policy, grant)
	}
}

func (d *Denied) Unwrap() error { return d.Err }

func article(noun string) string {
	if strings.ContainsRune("aeiouAEIOU", rune(noun[0])) {
		return "an"
	}
	return "a"
}

// IAMAction names the IAM action of a failed SDK call ("imagebuilder:CreateImage"):
// the innermost operation, which is the one AWS answered. A call whose
// credentials failed wraps the STS call that got them
// (sts:AssumeRoleWithWebIdentity) inside its own.
func IAMAction(err error) string {
	var oe *smithy.OperationError
	if !errors.As(err, &oe) {
		return ""
	}
	for {
		var inner *smithy.OperationError
		if !errors.As(oe.Err, &inner) {
			break
		}
		oe = inner
	}
	return strings.ToLower(strings.ReplaceAll(oe.ServiceID, " ", "")) + ":" + oe.OperationName
}

// AsDenied reports whether err is a denial, with the action AWS refused.
func AsDenied(err error) (*Denied, bool) {
	var d *Denied
	if errors.As(err, &d) {
		return d, true
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || !denied[ae.ErrorCode()] {
		return nil, false
	}
	d = &Denied{Call: IAMAction(err), Err: err}
	d.Action = d.Call
	if m := deniedActionRE.FindStringSubmatch(ae.ErrorMessage()); m != nil {
		d.Action = m[1]
	}
	if m := deniedResourceRE.FindStringSubmatch(ae.ErrorMessage()); m != nil {
		d.Resource = m[1]
	}
	if m := deniedByRE.FindStringSubmatch(ae.ErrorMessage()); m != nil {
		d.Explicit, d.Policy = m[1] != "because no", m[2]
	}
	return d, true
}

// Explain makes an AWS error actionable: a denial names the action AWS
// refused and the policy that grants it, a missing credential says where
// credentials come from.
func Explain(err error) error {
	if err == nil {
		return nil
	}
	if d, ok := AsDenied(err); ok {
		return d
	}
	if strings.Contains(err.Error(), "failed to refresh cached credentials") || strings.Contains(err.Error(), "no EC2 IMDS role found") {
		return fmt.Errorf("no AWS credentials: set them in the environment (AWS_PROFILE, after aws sso login or aws configure; or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; in GitHub Actions, use aws-actions/configure-aws-credentials with OIDC): %w", err)
	}
	return err
}
