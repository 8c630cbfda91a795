// Package bump turns a bake into a reviewed change: it finds and
// rewrites the image's AMI IDs, then (unless told not to) commits them on
// branch winbake/<image> and opens or updates the one pull request of that
// image. The user's checkout is never touched: the work happens in a
// scratch worktree of the base branch.
package bump

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
	"github.com/winbake/winbake/internal/report"
)

// Mode is how far a bump goes.
type Mode int

// Modes.
const (
	PullRequest Mode = iota // commit, push, open or update the PR
	DryRun                  // print what would change, touch nothing
	NoPR                    // rewrite the working tree and stop
)

// Operations reported for the pull request.
const (
	Created = "created"
	Updated = "updated"
	Closed  = "closed"
	None    = "none"
)

// Options of one image's bump.
type Options struct {
	Dir    string
	Config *config.Config
	Image  config.Image
	Bake   bakefile.Image
	Mode   Mode
	EC2    func(region string) amiref.EC2API
	// GitHub makes the API client; called only in PullRequest mode.
	GitHub func(ctx context.Context, repo *git.Repo) (*github.Client, error)
	Out    io.Writer
}

// Outcome is what happened.
type Outcome struct {
	Image     string
	Operation string
	Number    int
	URL       string
	Changes   int
	Branch    string
}

// Run bumps one image.
func Run(ctx context.Context, o Options) (Outcome, error) {
	out := Outcome{Image: o.Image.Name, Operation: None}
	if o.Mode != PullRequest {
		res, err := prepare(ctx, o, o.Dir)
		if err != nil {
			return out, err
		}
		out.Changes = len(res.Changes)
		fmt.Fprint(o.Out, report.DryRun(o.Image.Name, res))
		if o.Mode == NoPR {
			if err := write(o.Dir, res.Contents); err != nil {
				return out, err
			}
		}
		return out, nil
	}

	repo, err := git.Open(ctx, o.Dir)
	if err != nil {
		return out, err
	}
	if dirty, err := repo.Dirty(ctx); err != nil {
		return out, err
	} else if dirty != "" {
		return out, fmt.Errorf("the working tree of %s has uncommitted changes; commit or stash them first (or use --no-pr)", repo.Dir)
	}
	base := o.Config.PullRequest.BaseBranch
	if sha, err := repo.RemoteBranch(ctx, base); err != nil {
		return out, fmt.Errorf("reading origin: %w", err)
	} else if sha == "" {
		return out, fmt.Errorf("base branch %q does not exist on origin (pullRequest.baseBranch)", base)
	}
	branch := "winbake/" + o.Image.Name
	out.Branch = branch
	branchSHA, err := repo.RemoteBranch(ctx, branch)
	if err != nil {
		return out, err
	}
	fetch := []string{base}
	if branchSHA != "" {
		fetch = append(fetch, branch)
	}
	if err := repo.Fetch(ctx, fetch...); err != nil {
		return out, err
	}
	gh, err := o.GitHub(ctx, repo)
	if err != nil {
		return out, err
	}
	wt, err := repo.AddWorktree(ctx, "refs/remotes/origin/"+base)
	if err != nil {
		return out, err
	}
	defer wt.Close()

	res, err := prepare(ctx, o, wt.Dir)
	if err != nil {
		return out, err
	}
	out.Changes = len(res.Changes)
	fmt.Fprint(o.Out, report.DryRun(o.Image.Name, res))

	ami := headlineAMI(o.Image, o.Bake)
	open, err := gh.FindPRs(ctx, branch, "open", report.PRMarkerSearch(o.Image.Name, ""))
	if err != nil {
		return out, err
	}
	var pr *github.PR
	if len(open) > 0 {
		pr = &open[0]
		out.Number, out.URL = pr.Number, pr.URL
	}

	if len(res.Changes) == 0 {
		if pr != nil {
			msg := fmt.Sprintf("Nothing left to change: %s already uses the AMIs of this bake (%s), or none of its references remain. Closing.", base, ami)
			if err := gh.Close(ctx, pr.Number, msg); err != nil {
				return out, err
			}
			out.Operation = Closed
			fmt.Fprintf(o.Out, "%s: closed pull request #%d: nothing left to change\n", o.Image.Name, pr.Number)
		}
		return out, nil
	}

	closed, err := gh.FindPRs(ctx, branch, "closed", report.PRMarkerSearch(o.Image.Name, ami))
	if err != nil {
		return out, err
	}
	for _, c := range closed {
		if !c.Merged && pr == nil {
			fmt.Fprintf(o.Out, "%s: pull request #%d for %s was closed without merging; not proposing that AMI again (a newer AMI gets a new pull request)\n", o.Image.Name, c.Number, ami)
			return out, nil
		}
	}

	if branchSHA != "" {
		authors, err := repo.AuthorsSince(ctx, "refs/remotes/origin/"+base, "refs/remotes/origin/"+branch)
		if err != nil {
			return out, err
		}
		if others := othersThan(authors, o.Config.PullRequest.AuthorEmail); len(others) > 0 {
			msg := fmt.Sprintf("winbake baked `%s` but did not update this branch: it has commits by %s, which it will not overwrite. Merge or close this pull request (or delete the branch) and the next run proposes the new AMI.", ami, strings.Join(others, ", "))
			if pr != nil {
				if err := gh.Comment(ctx, pr.Number, msg); err != nil {
					return out, err
				}
			}
			fmt.Fprintf(o.Out, "%s: branch %s has commits by %s; left as it is\n", o.Image.Name, branch, strings.Join(others, ", "))
			return out, nil
		}
	}

	if err := write(wt.Dir, res.Contents); err != nil {
		return out, err
	}
	title, body := report.PR(o.Bake, ami, res)
	prc := o.Config.PullRequest
	if _, err := wt.Commit(ctx, title, git.Author{Name: prc.AuthorName, Email: prc.AuthorEmail}); err != nil {
		return out, err
	}
	pushed := true
	if branchSHA != "" {
		newTree, err1 := wt.Tree(ctx, "HEAD")
		oldTree, err2 := wt.Tree(ctx, branchSHA)
		pushed = err1 != nil || err2 != nil || newTree != oldTree
	}
	switch {
	case pushed && prc.SignCommits:
		baseSHA, err := repo.Git(ctx, "rev-parse", "refs/remotes/origin/"+base)
		if err != nil {
			return out, err
		}
		sha, err := gh.CommitFiles(ctx, branch, strings.TrimSpace(baseSHA), branchSHA, title, github.CommitAuthor{Name: prc.AuthorName, Email: prc.AuthorEmail}, res.Contents)
		if err != nil {
			return out, err
		}
		fmt.Fprintf(o.Out, "%s: committed %s on %s through the GitHub API (signed)\n", o.Image.Name, sha, branch)
	case pushed:
		if err := wt.Push(ctx, branch, branchSHA); err != nil {
			return out, fmt.Errorf("pushing %s: %w (the token needs contents: write)", branch, err)
		}
		fmt.Fprintf(o.Out, "%s: pushed %s\n", o.Image.Name, branch)
	}

	if pr == nil {
		created, err := gh.Create(ctx, github.NewPR{
			Title: title, Body: body, Head: branch, Base: base, Draft: prc.Draft,
			Labels: prc.Labels, Reviewers: prc.Reviewers, TeamReviewers: prc.TeamReviewers, Assignees: prc.Assignees,
		})
		out.Number, out.URL = created.Number, created.URL
		if err != nil {
			return out, err
		}
		out.Operation = Created
		fmt.Fprintf(o.Out, "%s: opened pull request #%d %s\n", o.Image.Name, created.Number, created.URL)
		return out, nil
	}
	if !pushed && pr.Title == title && pr.Body == body {
		fmt.Fprintf(o.Out, "%s: pull request #%d is up to date\n", o.Image.Name, pr.Number)
		return out, nil
	}
	if err := gh.Update(ctx, pr.Number, title, body); err != nil {
		return out, err
	}
	out.Operation = Updated
	fmt.Fprintf(o.Out, "%s: updated pull request #%d %s\n", o.Image.Name, pr.Number, pr.URL)
	return out, nil
}

// prepare scans root and decides the changes.
func prepare(ctx context.Context, o Options, root string) (*amiref.Result, error) {
	files, err := amiref.Scan(ctx, root, o.Config.Bump.Paths, o.Config.Bump.Exclude)
	if err != nil {
		return nil, fmt.Errorf("scanning %s: %w", root, err)
	}
	newAMIs := map[string]string{}
	regions := append([]string{}, o.Image.Regions...)
	for _, a := range o.Bake.AMIs {
		newAMIs[a.Region] = a.AMI
		if !slices.Contains(regions, a.Region) {
			regions = append(regions, a.Region)
		}
	}
	found := amiref.FoundAMIs(files)
	lineage, ignored := amiref.Lineage{}, map[string]string{}
	if len(found) > 0 {
		lineage, ignored, err = amiref.LookupLineage(ctx, o.EC2, o.Image, regions, found)
		if err != nil {
			return nil, err
		}
	}
	return amiref.Prepare(root, files, lineage, ignored, newAMIs)
}

func write(root string, contents map[string][]byte) error {
	names := make([]string, 0, len(contents))
	for n := range contents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(n)), contents[n], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
	}
	return nil
}

// headlineAMI is the AMI named in titles: the one of the build region.
func headlineAMI(img config.Image, b bakefile.Image) string {
	if a, ok := b.AMIIn(img.BuildRegion()); ok {
		return a
	}
	return b.AMIs[0].AMI
}

func othersThan(emails []string, ours string) []string {
	seen := map[string]bool{}
	var out []string
	for _, e := range emails {
		if e != ours && !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}
