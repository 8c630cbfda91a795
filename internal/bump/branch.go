package bump

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
)

// gitHubCommitter is the committer of commits GitHub makes itself:
// commits made through the API (signCommits), web edits and merges.
const gitHubCommitter = "noreply@github.com"

// othersThan are the people other than author who made or rewrote the
// commits: winbake's own commits have it as author, and as committer it or
// GitHub (which commits for it with signCommits). A commit GitHub signed
// is by the token's identity, not author: it is winbake's when it carries
// the image's trailer and GitHub committed it (a person who amended it
// would be its committer).
func othersThan(commits []git.Commit, author, image string) []string {
	var who []string
	add := func(e string) {
		if !slices.Contains(who, e) {
			who = append(who, e)
		}
	}
	for _, c := range commits {
		if c.Committer == gitHubCommitter && c.Image == image {
			continue
		}
		if c.Author != author {
			add(c.Author)
		}
		if c.Committer != author && c.Committer != gitHubCommitter {
			add(c.Committer)
		}
	}
	return who
}

// publish commits the worktree's changes and puts them on the branch,
// unless the branch already holds exactly that: one commit with the same
// tree on the same base. It tells whether the branch moved.
func (j *job) publish(ctx context.Context, title string, contents map[string][]byte) (bool, error) {
	prc := j.Config.PullRequest
	message := title + "\n\n" + git.ImageTrailer + ": " + j.img.Name + "\n"
	if _, err := j.wt.Commit(ctx, message, git.Author{Name: prc.AuthorName, Email: prc.AuthorEmail}); err != nil {
		return false, err
	}
	if j.branchSHA != "" {
		if same, err := j.holdsCommit(ctx); err != nil || same {
			return false, err
		}
	}
	if prc.SignCommits {
		files, err := j.files(ctx, contents)
		if err != nil {
			return false, err
		}
		sha, err := j.gh.CommitFiles(ctx, j.branch, j.baseSHA, j.branchSHA, message, files)
		if err != nil {
			return false, err
		}
		j.logf("committed %s on %s through the GitHub API (signed)", sha, j.branch)
		return true, nil
	}
	if err := j.wt.Push(ctx, j.branch, j.branchSHA); err != nil {
		var rej *git.Rejected
		if !errors.As(err, &rej) && refusedCredentials(err) {
			return false, fmt.Errorf("pushing %s: %w (the token needs contents: write)", j.branch, err)
		}
		return false, fmt.Errorf("pushing %s: %w", j.branch, err)
	}
	j.logf("pushed %s", j.branch)
	return true, nil
}

// holdsCommit tells whether the remote branch already is the commit just
// made: the same tree, with the base as its one parent.
func (j *job) holdsCommit(ctx context.Context) (bool, error) {
	newTree, err := j.wt.Tree(ctx, "HEAD")
	if err != nil {
		return false, err
	}
	oldTree, err := j.wt.Tree(ctx, j.branchSHA)
	if err != nil || newTree != oldTree {
		return false, err
	}
	parents, err := j.wt.Parents(ctx, j.branchSHA)
	return err == nil && len(parents) == 1 && parents[0] == j.baseSHA, err
}

// files are the changed files with their bytes and their mode in the base.
func (j *job) files(ctx context.Context, contents map[string][]byte) (map[string]github.File, error) {
	paths := make([]string, 0, len(contents))
	for p := range contents {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	modes, err := j.wt.Modes(ctx, paths)
	if err != nil {
		return nil, err
	}
	files := map[string]github.File{}
	for _, p := range paths {
		files[p] = github.File{Content: contents[p], Mode: modes[p]}
	}
	return files, nil
}

// refusedCredentials tells whether git failed because the token may not
// push, rather than the update (a refused token says so itself).
func refusedCredentials(err error) bool {
	msg := err.Error()
	for _, s := range []string{"returned error: 403", "Permission to"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
