// Package git drives the git command line: the checks a bump makes before
// touching anything, a scratch worktree so the user's checkout is never
// changed, and the commit and push of the bump branch.
package git

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Repo is a git checkout.
type Repo struct {
	Dir string // the top level of the checkout
}

// Author is who a commit is by.
type Author struct{ Name, Email string }

// Open finds the checkout that dir is in.
func Open(ctx context.Context, dir string) (*Repo, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("git is not installed (bump commits and pushes with the git command)")
	}
	out, err := run(ctx, dir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not a git checkout", dir)
	}
	return &Repo{Dir: strings.TrimSpace(out)}, nil
}

func run(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return stdout.String(), fmt.Errorf("git %s: %s", args[0], msg)
	}
	return stdout.String(), nil
}

// Git runs a git command in the checkout.
func (r *Repo) Git(ctx context.Context, args ...string) (string, error) {
	return run(ctx, r.Dir, nil, args...)
}

// Dirty lists uncommitted changes, if any.
func (r *Repo) Dirty(ctx context.Context) (string, error) {
	out, err := r.Git(ctx, "status", "--porcelain", "--untracked-files=no")
	return strings.TrimSpace(out), err
}

// RemoteURL is the URL of a remote.
func (r *Repo) RemoteURL(ctx context.Context, remote string) (string, error) {
	out, err := r.Git(ctx, "remote", "get-url", remote)
	if err != nil {
		return "", fmt.Errorf("the checkout has no remote %q", remote)
	}
	return strings.TrimSpace(out), nil
}

// RemoteBranch returns the commit a branch of origin points at, or "".
func (r *Repo) RemoteBranch(ctx context.Context, branch string) (string, error) {
	out, err := r.Git(ctx, "ls-remote", "--heads", "origin", "refs/heads/"+branch)
	if err != nil {
		return "", err
	}
	if f := strings.Fields(out); len(f) >= 2 {
		return f[0], nil
	}
	return "", nil
}

// Fetch fetches branches of origin into refs/remotes/origin/.
func (r *Repo) Fetch(ctx context.Context, branches ...string) error {
	args := []string{"fetch", "--quiet", "--no-tags", "origin"}
	for _, b := range branches {
		args = append(args, "+refs/heads/"+b+":refs/remotes/origin/"+b)
	}
	_, err := r.Git(ctx, args...)
	return err
}

// AuthorsSince lists the author emails of the commits on head not on base.
func (r *Repo) AuthorsSince(ctx context.Context, base, head string) ([]string, error) {
	out, err := r.Git(ctx, "log", "--format=%ae", base+".."+head)
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}

// Worktree is a scratch checkout beside the user's, removed by Close.
type Worktree struct {
	repo *Repo
	Dir  string
}

// AddWorktree checks out commitish, detached, in a new temporary folder.
func (r *Repo) AddWorktree(ctx context.Context, commitish string) (*Worktree, error) {
	dir, err := os.MkdirTemp("", "winbake-bump-")
	if err != nil {
		return nil, err
	}
	if _, err := r.Git(ctx, "worktree", "add", "--detach", "--quiet", dir, commitish); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return &Worktree{repo: r, Dir: dir}, nil
}

// Close removes the worktree.
func (w *Worktree) Close() {
	_, _ = w.repo.Git(context.Background(), "worktree", "remove", "--force", w.Dir)
	os.RemoveAll(w.Dir)
}

// Commit commits every change in the worktree as author.
func (w *Worktree) Commit(ctx context.Context, message string, a Author) (string, error) {
	env := []string{"GIT_AUTHOR_NAME=" + a.Name, "GIT_AUTHOR_EMAIL=" + a.Email, "GIT_COMMITTER_NAME=" + a.Name, "GIT_COMMITTER_EMAIL=" + a.Email}
	if _, err := run(ctx, w.Dir, env, "add", "--all"); err != nil {
		return "", err
	}
	if _, err := run(ctx, w.Dir, env, "commit", "--quiet", "--no-verify", "-m", message); err != nil {
		return "", err
	}
	out, err := run(ctx, w.Dir, nil, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// Tree is the tree hash of a commit.
func (w *Worktree) Tree(ctx context.Context, commitish string) (string, error) {
	out, err := run(ctx, w.Dir, nil, "rev-parse", commitish+"^{tree}")
	return strings.TrimSpace(out), err
}

// Push pushes HEAD to a branch of origin, only if the branch is still at
// expect ("" meaning it must not exist): --force-with-lease, so a push
// never drops a commit made since we looked.
func (w *Worktree) Push(ctx context.Context, branch, expect string) error {
	_, err := run(ctx, w.Dir, nil, "push", "--quiet", "--force-with-lease=refs/heads/"+branch+":"+expect, "origin", "HEAD:refs/heads/"+branch)
	return err
}
