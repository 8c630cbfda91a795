package bump

import (
	"context"
	"fmt"
	"strings"

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

	repo   *git.Repo
	gh     *github.Client
	wt     *git.Worktree
	base   string
	branch string
	// baseSHA is the base branch's commit; branchSHA the image branch's,
	// empty when it is not on the remote yet.
	baseSHA, branchSHA string
	ami                string // the headline AMI
}

func (j *job) logf(format string, args ...any) {
	fmt.Fprintf(j.Out, "%s: "+format+"\n", append([]any{j.img.Name}, args...)...)
}

// start checks the checkout and the remote, fetches the base, and adds a
// scratch worktree of it.
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
	hub, err := j.GitHub(ctx, repo)
	if err != nil {
		return err
	}
	j.gh, repo.Remote = hub.Client, hub.Remote
	if j.base = j.Config.PullRequest.BaseBranch; j.base == "" {
		if j.base, err = repo.DefaultBranch(ctx); err != nil {
			return fmt.Errorf("reading the default branch of %s: %w", repo.Remote.URL, err)
		}
	}
	j.branch = "winbake/" + j.img.Name
	j.out.Branch = j.branch
	shas, err := repo.RemoteBranches(ctx, j.base, j.branch)
	if err != nil {
		return fmt.Errorf("reading the branches of %s: %w", repo.Remote.URL, err)
	}
	if shas[0] == "" {
		return fmt.Errorf("base branch %q does not exist on %s (pullRequest.baseBranch)", j.base, repo.Remote.URL)
	}
	j.branchSHA = shas[1]
	if err := repo.Fetch(ctx, j.base); err != nil {
		return err
	}
	if j.baseSHA, err = repo.Rev(ctx, git.Tracking(j.base)); err != nil {
		return err
	}
	j.wt, err = repo.AddWorktree(ctx, j.baseSHA)
	return err
}

// propose decides the changes in the worktree and brings the image's pull
// request in line with them, writing nothing that is already so: a rerun
// with nothing new changes nothing on GitHub.
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
	if pr == nil {
		if stop, err := j.declined(ctx); stop || err != nil {
			return err
		}
	}
	if stop, err := j.othersCommitted(ctx, pr); stop || err != nil {
		return err
	}
	if err := write(j.wt.Dir, res.Contents); err != nil {
		return err
	}
	title, body := report.PR(j.bake, j.ami, res)
	pushed, err := j.publish(ctx, title, res.Contents)
	if err != nil {
		return err
	}
	prc := j.Config.PullRequest
	want := github.NewPR{
		Title: title, Body: body, Head: j.branch, Base: j.base, Draft: prc.Draft, Marker: report.PRMarkerSearch(j.img.Name, ""),
		Labels: prc.Labels, Reviewers: prc.Reviewers, TeamReviewers: prc.TeamReviewers, Assignees: prc.Assignees,
	}
	if pr == nil {
		return j.open(ctx, want)
	}
	return j.update(ctx, *pr, want, pushed)
}

// closeStale closes the open pull request once nothing is left to change.
func (j *job) closeStale(ctx context.Context, pr *github.PR) error {
	if pr == nil {
		return nil
	}
	marker, msg := report.ClosingComment(j.img.Name, j.base, j.ami)
	if err := j.gh.Close(ctx, pr.Number, marker, msg); err != nil {
		return err
	}
	j.out.Operation = report.Closed
	j.logf("closed pull request #%d: nothing left to change", pr.Number)
	return nil
}

// declined tells whether a reviewer closed, without merging, a pull
// request for this very AMI: it is not proposed again.
func (j *job) declined(ctx context.Context) (bool, error) {
	closed, err := j.gh.FindPRs(ctx, j.branch, "closed", report.PRMarkerSearch(j.img.Name, j.ami))
	if err != nil {
		return false, err
	}
	for _, c := range closed {
		if !c.Merged {
			j.logf("pull request #%d for %s was closed without merging; not proposing that AMI again (a newer AMI gets a new pull request)", c.Number, j.ami)
			return true, nil
		}
	}
	return false, nil
}

// othersCommitted tells whether the branch of the open pull request has
// someone else's commits: winbake never overwrites their work, and says
// so on the pull request once. Without an open pull request (it was
// merged or closed) the branch is winbake's to start again.
func (j *job) othersCommitted(ctx context.Context, pr *github.PR) (bool, error) {
	if j.branchSHA == "" {
		return false, nil
	}
	commits, err := j.repo.FetchBranch(ctx, j.branch, j.base)
	if err != nil || pr == nil {
		return false, err
	}
	who := othersThan(commits, j.Config.PullRequest.AuthorEmail, j.img.Name)
	if len(who) == 0 {
		return false, nil
	}
	j.out.Operation = report.LeftAlone
	j.logf("branch %s has commits by %s; left as it is: merge or close pull request #%d and the next run proposes %s", j.branch, strings.Join(who, ", "), pr.Number, j.ami)
	marker, msg := report.LeftAloneComment(j.img.Name, j.ami, j.branchSHA, who)
	posted, err := j.gh.Comment(ctx, pr.Number, marker, msg)
	if err == nil && !posted {
		j.logf("pull request #%d already says so", pr.Number)
	}
	return true, err
}

// open opens the image's pull request. When GitHub opened it but a label,
// review request or assignee failed, the outcome still says created, with
// the error; the next run adds what is missing.
func (j *job) open(ctx context.Context, want github.NewPR) error {
	created, err := j.gh.Create(ctx, want)
	if created.Number > 0 {
		j.out.Number, j.out.URL, j.out.Operation = created.Number, created.URL, report.Created
		j.logf("opened pull request #%d %s", created.Number, created.URL)
	}
	return err
}

// update brings an open pull request to what it should be: title, body,
// labels, review requests and assignees, writing only what differs.
func (j *job) update(ctx context.Context, pr github.PR, want github.NewPR, pushed bool) error {
	var did []string
	if pushed {
		did = append(did, "new commit")
	}
	if pr.Title != want.Title || pr.Body != want.Body {
		if err := j.gh.Update(ctx, pr.Number, want.Title, want.Body); err != nil {
			return err
		}
		did = append(did, "title and body")
	}
	added, err := j.gh.Complete(ctx, pr, want)
	if added {
		did = append(did, "the labels, reviewers or assignees it lacked")
	}
	switch {
	case len(did) > 0:
		j.out.Operation = report.Updated
		j.logf("updated pull request #%d %s: %s", pr.Number, pr.URL, strings.Join(did, ", "))
	case err == nil:
		j.logf("pull request #%d is up to date", pr.Number)
	}
	return err
}
