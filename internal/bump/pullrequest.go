package bump

import (
	"context"
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
	"github.com/winbake/winbake/internal/report"
)

// job is one image's pull request on its way: the repository, the branch
// and the scratch worktree it is prepared in.
type job struct {
	Options
	img  config.Image
	bake bake.Image
	out  Outcome

	repo      *git.Repo
	gh        *github.Client
	wt        *git.Worktree
	base      string
	branch    string
	branchSHA string // empty when the branch is not on origin yet
	ami       string // the headline AMI
}

// start checks the checkout and origin, fetches the base and the image's
// branch, and adds a scratch worktree of the base.
func (j *job) start(ctx context.Context) error {
	repo, err := git.Open(ctx, j.Dir)
	if err != nil {
		return err
	}
	j.repo = repo
	if dirty, err := repo.Dirty(ctx); err != nil {
		return err
	} else if dirty != "" {
		return fmt.Errorf("the working tree of %s has uncommitted changes; commit or stash them first (or use --no-pr)", repo.Dir)
	}
	j.base = j.Config.PullRequest.BaseBranch
	if sha, err := repo.RemoteBranch(ctx, j.base); err != nil {
		return fmt.Errorf("reading origin: %w", err)
	} else if sha == "" {
		return fmt.Errorf("base branch %q does not exist on origin (pullRequest.baseBranch)", j.base)
	}
	j.branch = "winbake/" + j.img.Name
	j.out.Branch = j.branch
	if j.branchSHA, err = repo.RemoteBranch(ctx, j.branch); err != nil {
		return err
	}
	fetch := []string{j.base}
	if j.branchSHA != "" {
		fetch = append(fetch, j.branch)
	}
	if err := repo.Fetch(ctx, fetch...); err != nil {
		return err
	}
	if j.gh, err = j.GitHub(ctx, repo); err != nil {
		return err
	}
	j.wt, err = repo.AddWorktree(ctx, "refs/remotes/origin/"+j.base)
	return err
}

// propose decides the changes in the worktree and brings the image's pull
// request in line with them.
func (j *job) propose(ctx context.Context) error {
	res, err := prepare(ctx, j.Options, j.img, j.bake, j.wt.Dir)
	if err != nil {
		return err
	}
	j.out.Changes = len(res.Changes)
	fmt.Fprint(j.Out, report.DryRun(j.img.Name, res))
	j.ami = headlineAMI(j.img, j.bake)

	open, err := j.gh.FindPRs(ctx, j.branch, "open", report.PRMarkerSearch(j.img.Name, ""))
	if err != nil {
		return err
	}
	var pr *github.PR
	if len(open) > 0 {
		pr = &open[0]
		j.out.Number, j.out.URL = pr.Number, pr.URL
	}
	if len(res.Changes) == 0 {
		return j.closeStale(ctx, pr)
	}
	if stop, err := j.declined(ctx, pr); stop || err != nil {
		return err
	}
	if stop, err := j.othersCommitted(ctx, pr); stop || err != nil {
		return err
	}
	title, body := report.PR(j.bake, j.ami, res)
	pushed, err := j.commit(ctx, res, title)
	if err != nil {
		return err
	}
	return j.openOrUpdate(ctx, pr, pushed, title, body)
}

// closeStale closes the open pull request once nothing is left to change.
func (j *job) closeStale(ctx context.Context, pr *github.PR) error {
	if pr == nil {
		return nil
	}
	msg := fmt.Sprintf("Nothing left to change: %s already uses the AMIs of this bake (%s), or none of its references remain. Closing.", j.base, j.ami)
	if err := j.gh.Close(ctx, pr.Number, msg); err != nil {
		return err
	}
	j.out.Operation = report.Closed
	fmt.Fprintf(j.Out, "%s: closed pull request #%d: nothing left to change\n", j.img.Name, pr.Number)
	return nil
}

// declined tells whether a reviewer closed, without merging, a pull
// request for this very AMI: it is not proposed again.
func (j *job) declined(ctx context.Context, pr *github.PR) (bool, error) {
	closed, err := j.gh.FindPRs(ctx, j.branch, "closed", report.PRMarkerSearch(j.img.Name, j.ami))
	if err != nil {
		return false, err
	}
	for _, c := range closed {
		if !c.Merged && pr == nil {
			fmt.Fprintf(j.Out, "%s: pull request #%d for %s was closed without merging; not proposing that AMI again (a newer AMI gets a new pull request)\n", j.img.Name, c.Number, j.ami)
			return true, nil
		}
	}
	return false, nil
}

// othersCommitted tells whether someone else committed on the image's
// branch: winbake never overwrites their work, and says so on the PR.
func (j *job) othersCommitted(ctx context.Context, pr *github.PR) (bool, error) {
	if j.branchSHA == "" {
		return false, nil
	}
	authors, err := j.repo.AuthorsSince(ctx, "refs/remotes/origin/"+j.base, "refs/remotes/origin/"+j.branch)
	if err != nil {
		return false, err
	}
	others := othersThan(authors, j.Config.PullRequest.AuthorEmail)
	if len(others) == 0 {
		return false, nil
	}
	msg := fmt.Sprintf("winbake baked `%s` but did not update this branch: it has commits by %s, which it will not overwrite. Merge or close this pull request (or delete the branch) and the next run proposes the new AMI.", j.ami, strings.Join(others, ", "))
	if pr != nil {
		if err := j.gh.Comment(ctx, pr.Number, msg); err != nil {
			return false, err
		}
	}
	fmt.Fprintf(j.Out, "%s: branch %s has commits by %s; left as it is\n", j.img.Name, j.branch, strings.Join(others, ", "))
	return true, nil
}

// commit writes the changes, commits them and pushes the branch (through
// the GitHub API when commits are signed), unless the branch already holds
// the same tree. It tells whether anything was pushed.
func (j *job) commit(ctx context.Context, res *amiref.Result, title string) (bool, error) {
	if err := write(j.wt.Dir, res.Contents); err != nil {
		return false, err
	}
	prc := j.Config.PullRequest
	if _, err := j.wt.Commit(ctx, title, git.Author{Name: prc.AuthorName, Email: prc.AuthorEmail}); err != nil {
		return false, err
	}
	if j.branchSHA != "" {
		newTree, err1 := j.wt.Tree(ctx, "HEAD")
		oldTree, err2 := j.wt.Tree(ctx, j.branchSHA)
		if err1 == nil && err2 == nil && newTree == oldTree {
			return false, nil
		}
	}
	if prc.SignCommits {
		baseSHA, err := j.repo.Git(ctx, "rev-parse", "refs/remotes/origin/"+j.base)
		if err != nil {
			return false, err
		}
		sha, err := j.gh.CommitFiles(ctx, j.branch, strings.TrimSpace(baseSHA), j.branchSHA, title, github.CommitAuthor{Name: prc.AuthorName, Email: prc.AuthorEmail}, res.Contents)
		if err != nil {
			return false, err
		}
		fmt.Fprintf(j.Out, "%s: committed %s on %s through the GitHub API (signed)\n", j.img.Name, sha, j.branch)
		return true, nil
	}
	if err := j.wt.Push(ctx, j.branch, j.branchSHA); err != nil {
		return false, fmt.Errorf("pushing %s: %w (the token needs contents: write)", j.branch, err)
	}
	fmt.Fprintf(j.Out, "%s: pushed %s\n", j.img.Name, j.branch)
	return true, nil
}

// openOrUpdate opens the image's pull request, or updates the open one
// when the branch or the text changed.
func (j *job) openOrUpdate(ctx context.Context, pr *github.PR, pushed bool, title, body string) error {
	prc := j.Config.PullRequest
	if pr == nil {
		created, err := j.gh.Create(ctx, github.NewPR{
			Title: title, Body: body, Head: j.branch, Base: j.base, Draft: prc.Draft,
			Labels: prc.Labels, Reviewers: prc.Reviewers, TeamReviewers: prc.TeamReviewers, Assignees: prc.Assignees,
		})
		j.out.Number, j.out.URL = created.Number, created.URL
		if err != nil {
			return err
		}
		j.out.Operation = report.Created
		fmt.Fprintf(j.Out, "%s: opened pull request #%d %s\n", j.img.Name, created.Number, created.URL)
		return nil
	}
	if !pushed && pr.Title == title && pr.Body == body {
		fmt.Fprintf(j.Out, "%s: pull request #%d is up to date\n", j.img.Name, pr.Number)
		return nil
	}
	if err := j.gh.Update(ctx, pr.Number, title, body); err != nil {
		return err
	}
	j.out.Operation = report.Updated
	fmt.Fprintf(j.Out, "%s: updated pull request #%d %s\n", j.img.Name, pr.Number, pr.URL)
	return nil
}
