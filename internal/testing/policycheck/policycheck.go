// Package policycheck holds what the tests ask of every IAM policy winbake
// generates.
package policycheck

import (
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/policy"
)

// Check lists what a least-privilege policy must not hold: a wildcard in
// an action, and a create (or tag) allowed on "*" or on every resource of
// a type without a condition.
func Check(d policy.Document) []string {
	var problems []string
	for _, s := range d.Statement {
		for _, a := range s.Action {
			if strings.ContainsAny(a, "*?") {
				problems = append(problems, fmt.Sprintf("%s: wildcard action %s", s.Sid, a))
			}
			_, op, _ := strings.Cut(a, ":")
			if !strings.HasPrefix(op, "Create") && op != "TagResource" {
				continue
			}
			for _, r := range s.Resource {
				switch {
				case r == "*":
					problems = append(problems, fmt.Sprintf("%s: %s on *", s.Sid, a))
				case strings.HasSuffix(r, "/*") && len(s.Condition) == 0:
					problems = append(problems, fmt.Sprintf("%s: %s on %s without a condition", s.Sid, a, r))
				}
			}
		}
	}
	return problems
}
