package report

import (
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/prune"
)

// PruneText is a prune run for a terminal: one line per AMI (kept and why,
// or removed), the snapshots, what each region frees and the monthly
// estimate.
func PruneText(r *prune.Result) string {
	var b strings.Builder
	if r.Applied {
		b.WriteString("winbake prune: applied\n")
	} else {
		b.WriteString("winbake prune: report only, nothing changed (--apply removes what is marked remove)\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	if len(r.AMIs) == 0 {
		b.WriteString("no AMIs tagged by winbake for the configured images and regions\n")
	}
	for _, a := range r.AMIs {
		line := fmt.Sprintf("%s %s %s %s  %s", a.Image, a.Region, a.ID, a.Created.Format("2006-01-02"), a.Decision)
		if len(a.Reasons) > 0 {
			line += ": " + strings.Join(a.Reasons, "; ")
		}
		if a.FastLaunch != "" {
			line += " (" + fastLaunchNote(a) + ")"
		}
		b.WriteString(line + "\n")
	}
	for _, s := range r.Snapshots {
		what := fmt.Sprintf("snapshot %s %s %d GiB of %s", s.Region, s.ID, s.SizeGiB, s.AMI)
		if s.Earlier {
			what += " (left by an earlier, interrupted run)"
		}
		switch s.Decision {
		case prune.Delete:
			fmt.Fprintf(&b, "%s: would be deleted\n", what)
		case prune.Deleted:
			fmt.Fprintf(&b, "%s: deleted\n", what)
		default:
			fmt.Fprintf(&b, "%s: left, %s\n", what, s.Reason)
		}
	}
	verb := "freed"
	if !r.Applied {
		verb = "would be freed"
	}
	for _, t := range r.Regions {
		fmt.Fprintf(&b, "%s: %d snapshot(s), %d GiB %s\n", t.Region, t.Snapshots, t.GiB, verb)
	}
	fmt.Fprintf(&b, "total: %d GiB %s, about $%.2f a month at $%.2f/GB-month (%s; snapshots are billed for the blocks they store, so this is an upper bound)\n",
		r.GiB, verb, r.MonthlyUSD, r.PricePerGBMonth, r.PriceSource)
	return b.String()
}

// PruneMarkdown is the job summary of a prune run: a table of every AMI
// and the totals.
func PruneMarkdown(r *prune.Result) string {
	var b strings.Builder
	b.WriteString("### Prune\n\n")
	if !r.Applied {
		b.WriteString("Report only: nothing was changed. Set the `apply` input to `true` to remove the AMIs marked remove.\n\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "> **Warning:** %s\n\n", w)
	}
	if len(r.AMIs) > 0 {
		b.WriteString("| image | region | AMI | created | decision | why |\n|---|---|---|---|---|---|\n")
		for _, a := range r.AMIs {
			why := strings.Join(a.Reasons, "; ")
			if a.FastLaunch != "" {
				why = strings.TrimPrefix(why+"; "+fastLaunchNote(a), "; ")
			}
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s | %s |\n", a.Image, a.Region, a.ID, a.Created.Format("2006-01-02"), a.Decision, cell(why))
		}
		b.WriteString("\n")
	}
	verb := "Freed"
	if !r.Applied {
		verb = "Would free"
	}
	for _, t := range r.Regions {
		fmt.Fprintf(&b, "- %s: %d snapshot(s), %d GiB\n", t.Region, t.Snapshots, t.GiB)
	}
	var left []string
	for _, s := range r.Snapshots {
		if s.Decision == prune.Left {
			left = append(left, fmt.Sprintf("`%s` (%s): %s", s.ID, s.Region, s.Reason))
		}
	}
	if len(left) > 0 {
		fmt.Fprintf(&b, "- snapshots left: %s\n", strings.Join(left, "; "))
	}
	fmt.Fprintf(&b, "\n%s %d GiB of snapshots, about **$%.2f a month** at $%.2f/GB-month (%s).\n", verb, r.GiB, r.MonthlyUSD, r.PricePerGBMonth, r.PriceSource)
	return b.String()
}

func fastLaunchNote(a *prune.AMI) string {
	return "Windows fast launch " + a.FastLaunch + ", disabled first"
}

// cell keeps a table cell on one line.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.NewReplacer("|", "\\|", "\n", " ").Replace(s)
}
