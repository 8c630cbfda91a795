package report

import (
	"fmt"
	"sort"
	"strings"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/bake/bakefile"
)

// MaxPRBody keeps a body under GitHub's 65,536-character limit, with room.
const MaxPRBody = 60000

// maxIgnoredRun is how many references to the same ignored AMI in one file
// the dry run lists one by one before it counts them instead.
const maxIgnoredRun = 10

// DryRun tells, in plain text, what a bump would do and what it leaves.
func DryRun(image string, r *amiref.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d change(s)\n", image, len(r.Changes))
	if w := minorChanges(r.Changes); len(w) > 0 {
		fmt.Fprintf(&b, "WARNING: %d change(s) move node groups to another Kubernetes minor; upgrade their control planes first:\n", len(w))
		for _, c := range w {
			fmt.Fprintf(&b, "  %s:%d  %s  %s: Kubernetes %s → %s\n", c.File, c.Line, orDash(c.Where), c.Old, c.FromKubernetes, kubernetesOf(r))
		}
	}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "  %s:%d  %s  %s: %s → %s\n", c.File, c.Line, orDash(c.Where), c.Region, c.Old, c.New)
	}
	if len(r.Current) > 0 {
		fmt.Fprintf(&b, "%d reference(s) already at the new AMI\n", len(r.Current))
	}
	if len(r.Uncovered) > 0 {
		fmt.Fprintf(&b, "not replaced, no new AMI for their region:\n")
		for _, s := range r.Uncovered {
			fmt.Fprintf(&b, "  %s:%d  %s  %s: %s\n", s.File, s.Line, orDash(s.Where), s.AMI, s.Reason)
		}
	}
	if len(r.Skipped) > 0 {
		fmt.Fprintf(&b, "files left alone:\n")
		for _, f := range r.Skipped {
			fmt.Fprintf(&b, "  %s  %s%s\n", f.File, f.Reason, holds(f.AMIs))
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, "left alone:\n")
		for _, l := range ignoredLines(r.Ignored, "  %s:%s  %s  %s: %s", len(r.Ignored)) {
			b.WriteString(l + "\n")
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintf(&b, "notes:\n")
		for _, n := range r.Notes {
			fmt.Fprintf(&b, "  %s\n", n)
		}
	}
	return b.String()
}

// minorChanges are the changes that upgrade a node group's Kubernetes minor.
func minorChanges(cs []amiref.Change) []amiref.Change {
	var out []amiref.Change
	for _, c := range cs {
		if c.FromKubernetes != "" {
			out = append(out, c)
		}
	}
	return out
}

// kubernetesOf is the Kubernetes version the new AMIs run.
func kubernetesOf(r *amiref.Result) string {
	if r.Kubernetes == "" {
		return "the image's"
	}
	return r.Kubernetes
}

func holds(amis []string) string {
	if len(amis) == 0 {
		return ""
	}
	return "; holds " + strings.Join(amis, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// The marker is a comment hidden in a PR body, <!-- winbake:image=NAME
// ami=AMI -->, so winbake finds its own PR again and knows which AMI it
// proposed. PRMarker writes it and PRMarkerSearch finds it.

// PRMarker is the marker of image's PR proposing ami.
func PRMarker(image, ami string) string { return markerPrefix(image) + "ami=" + ami + " -->" }

// PRMarkerSearch is the text every PR body of image contains; with an ami,
// the text only a PR that proposed that AMI contains.
func PRMarkerSearch(image, ami string) string {
	if ami == "" {
		return markerPrefix(image)
	}
	return markerPrefix(image) + "ami=" + ami + " "
}

func markerPrefix(image string) string { return "<!-- " + amitag.Image + "=" + image + " " }

// PR is an image's pull request: its title, which is also the commit
// message, and its body.
func PR(img bakefile.Image, ami string, r *amiref.Result) (title, body string) {
	return prTitle(img, ami), prBody(img, ami, r)
}

func prTitle(img bakefile.Image, ami string) string {
	date := img.Finished
	if len(date) >= 10 {
		date = date[:10]
	}
	var about []string
	for _, s := range []string{img.Kubernetes, date} {
		if s != "" {
			about = append(about, s)
		}
	}
	if len(about) == 0 {
		return fmt.Sprintf("Bump %s Windows AMI to %s", img.Name, ami)
	}
	return fmt.Sprintf("Bump %s Windows AMI to %s (%s)", img.Name, ami, strings.Join(about, ", "))
}

// prBody is what a reviewer reads: every change, where the AMI comes from,
// what is cached in it, what was left alone and how to roll it out.
// Long change tables are summarized until the body fits.
func prBody(img bakefile.Image, ami string, r *amiref.Result) string {
	var body string
	for _, limit := range []int{200, 100, 50, 20, 0} {
		if body = prBodyLimited(img, ami, r, limit); len(body) <= MaxPRBody {
			return body
		}
	}
	return body[:MaxPRBody] + "\n\n…(cut to fit GitHub's limit)\n"
}

func prBodyLimited(img bakefile.Image, ami string, r *amiref.Result, limit int) string {
	var b strings.Builder
	b.WriteString(PRMarker(img.Name, ami) + "\n")
	fmt.Fprintf(&b, "winbake baked a new EKS Windows AMI for **%s** and replaces the AMI IDs of its lineage below.\n\n", img.Name)

	b.WriteString("### New AMIs\n\n| region | AMI |\n|---|---|\n")
	for _, a := range img.AMIs {
		fmt.Fprintf(&b, "| %s | `%s` |\n", a.Region, a.AMI)
	}

	if w := minorChanges(r.Changes); len(w) > 0 {
		fmt.Fprintf(&b, "\n> [!WARNING]\n> **%d change(s) move node groups to Kubernetes %s from an earlier minor.** Their AMIs were baked for an older Kubernetes version: kubelet must never be newer than the control plane, so upgrade those clusters' control planes first, or do not merge.\n>\n", len(w), kubernetesOf(r))
		for _, c := range w {
			fmt.Fprintf(&b, "> - `%s:%d` %s: `%s` (Kubernetes %s)\n", c.File, c.Line, orDash(c.Where), c.Old, c.FromKubernetes)
		}
	}

	b.WriteString("\n### Changes\n\n")
	b.WriteString(changeTable(r.Changes, limit))

	if lines := provenance(img); len(lines) > 0 {
		b.WriteString("\n### Provenance\n\n")
		for _, l := range lines {
			fmt.Fprintf(&b, "- %s\n", l)
		}
	}

	if len(img.Cache) > 0 {
		b.WriteString("\n### Cached images\n\n| image | digest | compressed |\n|---|---|--:|\n")
		for _, c := range img.Cache {
			size := "unknown"
			if c.Size > 0 {
				size = Bytes(c.Size)
			}
			fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", c.Ref, c.Digest, size)
		}
	}

	var notes []string
	for _, s := range r.Uncovered {
		notes = append(notes, fmt.Sprintf("`%s:%d` %s: `%s` not replaced: %s", s.File, s.Line, s.Where, s.AMI, s.Reason))
	}
	for _, f := range r.Skipped {
		notes = append(notes, fmt.Sprintf("`%s` left alone: %s%s", f.File, f.Reason, holds(f.AMIs)))
	}
	notes = append(notes, r.Notes...)
	if len(notes) > 0 {
		b.WriteString("\n### Notes\n\n")
		for _, n := range notes {
			fmt.Fprintf(&b, "- %s\n", n)
		}
	}
	if len(r.Ignored) > 0 {
		fmt.Fprintf(&b, "\n<details><summary>%d AMI reference(s) left alone, with the reason</summary>\n\n", len(r.Ignored))
		lines := ignoredLines(r.Ignored, "- `%s:%s` %s `%s`: %s", limit)
		for _, l := range lines {
			b.WriteString(l + "\n")
		}
		if n := len(r.Ignored) - listed(r.Ignored, limit); n > 0 {
			fmt.Fprintf(&b, "- …and %d more; `winbake bump --dry-run` lists them all\n", n)
		}
		b.WriteString("\n</details>\n")
	}
	b.WriteString(`
### Rolling out

- Managed node groups with a launch template roll only when the node group uses the new launch template version: apply the change, then update the node group (` + "`aws eks update-nodegroup-version`" + ` or your IaC's equivalent).
- A custom Windows AMI's user data must call the EKS bootstrap script (` + "`Start-EKSBootstrap.ps1`" + `); eksctl and Karpenter do this for you.
- Nodes already running keep the old AMI until they are replaced.
`)
	return b.String()
}

// changeTable lists up to limit changes, then counts the rest by file.
func changeTable(changes []amiref.Change, limit int) string {
	var b strings.Builder
	b.WriteString("| file:line | where | region | old AMI → new AMI |\n|---|---|---|---|\n")
	for i, c := range changes {
		if i >= limit {
			break
		}
		fmt.Fprintf(&b, "| `%s:%d` | %s | %s | `%s` → `%s` |\n", c.File, c.Line, orDash(c.Where), c.Region, c.Old, c.New)
	}
	if len(changes) > limit {
		perFile := map[string]int{}
		for _, c := range changes[limit:] {
			perFile[c.File]++
		}
		files := make([]string, 0, len(perFile))
		for f := range perFile {
			files = append(files, f)
		}
		sort.Strings(files)
		fmt.Fprintf(&b, "\n…and %d more change(s) in %d file(s)", len(changes)-limit, len(files))
		if len(files) <= 50 {
			parts := make([]string, len(files))
			for i, f := range files {
				parts[i] = fmt.Sprintf("`%s` (%d)", f, perFile[f])
			}
			b.WriteString(": " + strings.Join(parts, ", "))
		}
		b.WriteString(".\n")
	}
	return b.String()
}

// ignoredRuns groups the references left alone into runs of the same file,
// AMI and reason, in order.
func ignoredRuns(ignored []amiref.Skip) [][]amiref.Skip {
	var runs [][]amiref.Skip
	for i := 0; i < len(ignored); {
		s := ignored[i]
		n := 1
		for i+n < len(ignored) && ignored[i+n].File == s.File && ignored[i+n].AMI == s.AMI && ignored[i+n].Reason == s.Reason {
			n++
		}
		runs = append(runs, ignored[i:i+n])
		i += n
	}
	return runs
}

// ignoredLines formats the references left alone (file, line, where, AMI,
// reason), up to limit of them; a generated file can hold thousands of the
// same AMI, and a long run makes one line saying where and why they stay.
func ignoredLines(ignored []amiref.Skip, format string, limit int) []string {
	var out []string
	n := 0
	for _, run := range ignoredRuns(ignored) {
		if n >= limit {
			break
		}
		s := run[0]
		if len(run) > maxIgnoredRun {
			out = append(out, fmt.Sprintf(format, s.File, fmt.Sprintf("%d-%d", s.Line, run[len(run)-1].Line), fmt.Sprintf("%d references", len(run)), s.AMI, s.Reason))
			n += len(run)
			continue
		}
		for _, s := range run {
			if n >= limit {
				break
			}
			out = append(out, fmt.Sprintf(format, s.File, fmt.Sprint(s.Line), orDash(s.Where), s.AMI, s.Reason))
			n++
		}
	}
	return out
}

// listed is how many references ignoredLines covers within limit.
func listed(ignored []amiref.Skip, limit int) int {
	n := 0
	for _, run := range ignoredRuns(ignored) {
		if n >= limit {
			break
		}
		if len(run) > maxIgnoredRun {
			n += len(run)
		} else {
			n += min(len(run), limit-n)
		}
	}
	return n
}
