package report

import (
	"fmt"
	"strings"
)

// Outcome is what a bump did to one image's pull request.
type Outcome struct {
	Image     string
	Operation string
	Number    int
	URL       string
	Changes   int
	Branch    string
	// Err is why the bump of this image failed, if it did.
	Err error
}

// Operations on the pull request, as the action's outputs name them.
const (
	Created = "created"
	Updated = "updated"
	Closed  = "closed"
	None    = "none"
	// LeftAlone: the branch has someone else's commits; nothing was pushed.
	LeftAlone = "left-alone"
	// Failed: the bump stopped before it changed the pull request.
	Failed = "failed"
)

// PRSummary lists the pull requests of a bump, for a job summary.
func PRSummary(outcomes []Outcome, dryRun bool) string {
	var b strings.Builder
	b.WriteString("### Pull requests\n\n")
	if dryRun {
		b.WriteString("Dry run: nothing was pushed.\n\n")
	}
	for _, o := range outcomes {
		switch {
		case o.URL != "":
			fmt.Fprintf(&b, "- %s: [#%d](%s) %s, %d change(s)%s\n", o.Image, o.Number, o.URL, o.Operation, o.Changes, why(o))
		default:
			fmt.Fprintf(&b, "- %s: %s, %d change(s)%s\n", o.Image, o.Operation, o.Changes, why(o))
		}
	}
	return b.String()
}

// why tells what stopped a bump, or that winbake left a branch alone.
func why(o Outcome) string {
	switch {
	case o.Err != nil:
		return ": " + o.Err.Error()
	case o.Operation == LeftAlone:
		return ": branch " + o.Branch + " has someone else's commits; left as it is"
	}
	return ""
}

// PROutcomes are the terminal lines of a bump that opened pull requests.
func PROutcomes(outcomes []Outcome) string {
	var b strings.Builder
	for _, o := range outcomes {
		line := strings.TrimSpace(fmt.Sprintf("%s: pull request %s %s", o.Image, o.Operation, o.URL))
		fmt.Fprintf(&b, "%s%s\n", line, why(o))
	}
	return b.String()
}
