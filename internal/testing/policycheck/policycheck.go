// Package policycheck holds what the tests ask of every IAM policy winbake
// generates.
package policycheck

import (
	"fmt"
	"slices"
	"strings"

	"github.com/winbake/winbake/internal/policy"
)

// changing are the verbs of actions that change AWS resources.
var changing = []string{"Create", "Delete", "Deregister", "Disable", "Enable", "Modify", "Pass", "Put", "Register", "Tag", "Untag", "Update"}

// Check lists what a least-privilege policy must not hold: a wildcard in
// an action, and an action that creates or changes something allowed on
// "*" or on every resource of a type without a condition.
func Check(d policy.Document) []string {
	var problems []string
	for _, s := range d.Statement {
		for _, a := range s.Action {
			if strings.ContainsAny(a, "*?") {
				problems = append(problems, fmt.Sprintf("%s: wildcard action %s", s.Sid, a))
			}
			_, op, _ := strings.Cut(a, ":")
			if !slices.ContainsFunc(changing, func(verb string) bool { return strings.HasPrefix(op, verb) }) {
				continue
			}
			for _, r := range s.Resource {
				switch {
				case r == "*":
					problems = append(problems, fmt.Sprintf("%s: %s on *", s.Sid, a))
				case everyOfType(r) && len(s.Condition) == 0:
					problems = append(problems, fmt.Sprintf("%s: %s on %s without a condition", s.Sid, a, r))
				}
			}
		}
	}
	return problems
}

// everyOfType reports an ARN naming every resource of a type
// (arn:aws:ec2:us-east-1::image/*), not a named or prefixed one.
func everyOfType(arn string) bool {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return false
	}
	typ, rest, ok := strings.Cut(parts[5], "/")
	return ok && rest == "*" && typ != ""
}
