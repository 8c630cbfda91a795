package report

import (
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/plan"
)

// PlanText is the plan in short lines for a terminal.
func PlanText(p *plan.Plan) string {
	var b strings.Builder
	for _, img := range p.Images {
		fmt.Fprintf(&b, "%s: Kubernetes %s, Windows %s (build %s)\n", img.Name, img.Kubernetes, img.Windows, img.Build)
		for _, a := range img.BaseAMIs {
			fmt.Fprintf(&b, "  base AMI %s  %s  %s\n", a.Region, a.AMI, a.Name)
		}
		for _, c := range img.Cache {
			fmt.Fprintf(&b, "  cache %s@%s  %s\n", c.Ref, c.Digest, Bytes(c.Size))
			if c.Note != "" {
				fmt.Fprintf(&b, "    note: %s\n", c.Note)
			}
		}
		for _, w := range img.Warnings {
			fmt.Fprintf(&b, "  warning: %s\n", w)
		}
		fmt.Fprintf(&b, "  each new node is spared pulling %s (%s more is on the AMI already)\n", Bytes(img.Totals.Pull), Bytes(img.Totals.Base))
	}
	return b.String()
}

// PlanMarkdown shows a plan to a reviewer: per image its base AMIs, a
// table of the pinned cache with sizes and shares, and a chart of what a
// new node would pull without the cache.
func PlanMarkdown(p *plan.Plan) string {
	var b strings.Builder
	for _, img := range p.Images {
		fmt.Fprintf(&b, "### %s: Kubernetes %s, Windows %s (build %s)\n\n", img.Name, img.Kubernetes, img.Windows, img.Build)
		updates := "applied (`update-windows`)"
		if !img.Updates {
			updates = "not applied"
		}
		fmt.Fprintf(&b, "Base AMI from `%s`; Windows updates %s.\n\n", img.SSMParameter, updates)
		b.WriteString("| region | base AMI | name | created |\n|---|---|---|---|\n")
		for _, a := range img.BaseAMIs {
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s |\n", a.Region, a.AMI, a.Name, a.Created)
		}
		b.WriteString("\n")
		if len(img.Cache) == 0 {
			b.WriteString("No images to cache.\n\n")
			continue
		}
		b.WriteString("| image | pinned digest | os.version | compressed | on the AMI already | shared with other cached images |\n|---|---|---|--:|--:|--:|\n")
		for _, c := range img.Cache {
			osv := c.OSVersion
			if c.Note != "" {
				osv += " (" + c.Note + ")"
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s | %s | %s | %s |\n", c.Ref, short(c.Digest), osv, Bytes(c.Size), Bytes(c.BaseBytes), Bytes(c.SharedBytes))
		}
		t := img.Totals
		fmt.Fprintf(&b, "| **total** (each layer once) | | | **%s** | **%s** | |\n\n", Bytes(t.Pull+t.Base), Bytes(t.Base))
		fmt.Fprintf(&b, "**Each new node is spared pulling %s** (compressed) before these containers start; %s more is in the Windows base images the AMI already holds.\n\n", Bytes(t.Pull), Bytes(t.Base))
		if len(img.BaseImages) == 0 {
			b.WriteString("_The Windows base images could not be read, so no layer is counted as already on the AMI._\n\n")
		}
		for _, w := range img.Warnings {
			fmt.Fprintf(&b, "**Warning:** %s\n\n", w)
		}
		b.WriteString(pullChart(img))
	}
	return b.String()
}

// pullChart is a mermaid pie of what a node without the cache pulls, per
// image, beside what the AMI holds already. GitHub renders it in PRs and
// job summaries.
func pullChart(img plan.Image) string {
	var b strings.Builder
	fmt.Fprintf(&b, "```mermaid\npie showData\n    title %s: MiB a new node pulls without the cache\n", img.Name)
	for _, c := range img.Cache {
		fmt.Fprintf(&b, "    %q : %.1f\n", c.Ref, float64(c.PullBytes)/(1<<20))
	}
	fmt.Fprintf(&b, "    %q : %.1f\n", "already on the AMI (base layers)", float64(img.Totals.Base)/(1<<20))
	b.WriteString("```\n\n")
	return b.String()
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[:19]
	}
	return digest
}
