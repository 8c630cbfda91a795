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
}

// Operations on the pull request, as the action's outputs name them.
const (
	Created = "created"
	Updated = "updated"
	Closed  = "closed"
	None    = "none"
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
			fmt.Fprintf(&b, "- %s: [#%d](%s) %s, %d change(s)\n", o.Image, o.Number, o.URL, o.Operation, o.Changes)
		default:
			fmt.Fprintf(&b, "- %s: %s, %d change(s)\n", o.Image, o.Operation, o.Changes)
		}
	}
	return b.String()
}

// PROutcomes are the terminal lines of a bump that opened pull requests.
func PROutcomes(outcomes []Outcome) string {
	var b strings.Builder
	for _, o := range outcomes {
		fmt.Fprintf(&b, "%s: pull request %s %s\n", o.Image, o.Operation, o.URL)
	}
	return b.String()
}
