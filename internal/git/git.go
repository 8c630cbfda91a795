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
	// Remote is where branches are read, fetched and pushed.
	Remote Remote
}

// Author is who a commit is by.
type Author struct{ Name, Email string }

// Open finds the checkout that dir is in; its remote is origin until told
// otherwise.
func Open(ctx context.Context, dir string) (*Repo, error) {
	if _, err := exec.LookPath("git"); err != nil {
		return nil, errors.New("git is not installed (bump commits and pushes with the git command)")
	}
	out, err := run(ctx, dir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("%s is not a git checkout", dir)
	}
	return &Repo{Dir: strings.TrimSpace(out), Remote: Remote{URL: "origin"}}, nil
}

func run(ctx context.Context, dir string, env []string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_TERMINAL_PROMPT=0", "LC_ALL=C")
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &Error{Command: args[0], Msg: firstError(stderr.String(), err)}
	}
	return stdout.String(), nil
}

// Error is a failed git command, in one line.
type Error struct{ Command, Msg string }

func (e *Error) Error() string { return "git " + e.Command + ": " + e.Msg }

// firstError picks the line of git's stderr that says what failed: the
// first "fatal:" or "error:" line, else the last line that is not a hint.
func firstError(stderr string, err error) string {
	var last string
	for _, line := range strings.Split(stderr, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "fatal: "):
			return strings.TrimPrefix(line, "fatal: ")
		case strings.HasPrefix(line, "error: "):
			return strings.TrimPrefix(line, "error: ")
		case line != "" && !strings.HasPrefix(line, "hint:"):
			last = line
		}
	}
	if last == "" {
		return err.Error()
	}
	return last
}

// Git runs a git command in the checkout.
func (r *Repo) Git(ctx context.Context, args ...string) (string, error) {
	return run(ctx, r.Dir, nil, args...)
}

// remote runs a git command that talks to the remote, with its
// credentials in the environment.
func (r *Repo) remote(ctx context.Context, dir string, args ...string) (string, error) {
	if r.Remote.Token != "" {
		if err := envConfig(ctx); err != nil {
			return "", err
		}
	}
	out, err := run(ctx, dir, r.Remote.env(), args...)
	// A 401 makes git ask for a user name it may not prompt for: the
	// token itself was refused.
	var gerr *Error
	if errors.As(err, &gerr) && r.Remote.Token != "" {
		for _, s := range []string{"could not read Username", "Authentication failed", "returned error: 401"} {
			if strings.Contains(gerr.Msg, s) {
				gerr.Msg = "the server refused the token (invalid or expired: a GitHub App token lasts an hour)"
			}
		}
	}
	return out, err
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

// RemoteBranches returns the commit each branch of the remote points at
// ("" for a branch that does not exist), in one request.
func (r *Repo) RemoteBranches(ctx context.Context, branches ...string) ([]string, error) {
	args := []string{"ls-remote", "--heads", r.Remote.URL}
	for _, b := range branches {
		args = append(args, "refs/heads/"+b)
	}
	out, err := r.remote(ctx, r.Dir, args...)
	if err != nil {
		return nil, err
	}
	at := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 2 {
			at[f[1]] = f[0]
		}
	}
	shas := make([]string, len(branches))
	for i, b := range branches {
		shas[i] = at["refs/heads/"+b]
	}
	return shas, nil
}

// DefaultBranch is the branch the remote's HEAD points at: the
// repository's default branch.
func (r *Repo) DefaultBranch(ctx context.Context) (string, error) {
	out, err := r.remote(ctx, r.Dir, "ls-remote", "--symref", r.Remote.URL, "HEAD")
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(out, "\n") {
		// "ref: refs/heads/main<TAB>HEAD"
		if ref, ok := strings.CutPrefix(line, "ref: refs/heads/"); ok {
			if name, _, ok := strings.Cut(ref, "\t"); ok {
				return name, nil
			}
		}
	}
	return "", fmt.Errorf("%s names no default branch; set pullRequest.baseBranch", r.Remote.URL)
}

// Tracking is where a fetched branch is kept.
func Tracking(branch string) string { return "refs/remotes/origin/" + branch }

// Fetch fetches a branch of the remote into Tracking(branch); in a
// shallow checkout only its tip, as the checkout has only its own: history
// the checkout does not share would come whole.
func (r *Repo) Fetch(ctx context.Context, branch string) error {
	args := []string{"fetch", "--quiet", "--no-tags"}
	if shallow, err := r.Shallow(ctx); err != nil {
		return err
	} else if shallow {
		args = append(args, "--depth=1")
	}
	_, err := r.remote(ctx, r.Dir, append(args, r.Remote.URL, "+refs/heads/"+branch+":"+Tracking(branch))...)
	return err
}

// Shallow tells whether the checkout has only part of its history, as
// actions/checkout leaves it (fetch-depth 1).
func (r *Repo) Shallow(ctx context.Context) (bool, error) {
	out, err := r.Git(ctx, "rev-parse", "--is-shallow-repository")
	return strings.TrimSpace(out) == "true", err
}

// FetchBranch fetches branch and tells its commits that are not on base,
// newest first. In a shallow checkout ancestry is unknown past the
// boundary, so the fetch asks the remote for just those commits
// (--shallow-exclude): everything else would look like the branch's own.
// When the remote selects none (the branch was merged into base) or
// cannot exclude, only the branch's tip is fetched and told.
func (r *Repo) FetchBranch(ctx context.Context, branch, base string) ([]Commit, error) {
	shallow, err := r.Shallow(ctx)
	if err != nil {
		return nil, err
	}
	refspec := "+refs/heads/" + branch + ":" + Tracking(branch)
	if !shallow {
		if err := r.Fetch(ctx, branch); err != nil {
			return nil, err
		}
		return r.Commits(ctx, Tracking(base), Tracking(branch))
	}
	if _, err := r.remote(ctx, r.Dir, "fetch", "--quiet", "--no-tags", "--shallow-exclude=refs/heads/"+base, r.Remote.URL, refspec); err == nil {
		return r.Commits(ctx, Tracking(base), Tracking(branch))
	}
	if _, err := r.remote(ctx, r.Dir, "fetch", "--quiet", "--no-tags", "--depth=1", r.Remote.URL, refspec); err != nil {
		return nil, err
	}
	out, err := r.Git(ctx, "log", "-1", "--format="+commitFormat, Tracking(branch))
	if err != nil {
		return nil, err
	}
	return parseCommits(out), nil
}

// Commit is a commit's identity.
type Commit struct {
	SHA, Author, Committer string
	// Image is the commit's Winbake-Image trailer: the image whose bump
	// it is, when winbake made it.
	Image string
}

// ImageTrailer names the image a bump commit is for, in its message.
const ImageTrailer = "Winbake-Image"

const commitFormat = "%H %ae %ce %(trailers:key=" + ImageTrailer + ",valueonly,separator=%x2C)"

// Commits lists the commits on head not on base, newest first.
func (r *Repo) Commits(ctx context.Context, base, head string) ([]Commit, error) {
	out, err := r.Git(ctx, "log", "--format="+commitFormat, base+".."+head)
	if err != nil {
		return nil, err
	}
	return parseCommits(out), nil
}

func parseCommits(out string) []Commit {
	var list []Commit
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if f := strings.Fields(line); len(f) >= 3 {
			c := Commit{SHA: f[0], Author: f[1], Committer: f[2]}
			if len(f) == 4 {
				c.Image = f[3]
			}
			list = append(list, c)
		}
	}
	return list
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

// Git runs a git command in the worktree.
func (w *Worktree) Git(ctx context.Context, args ...string) (string, error) {
	return run(ctx, w.Dir, nil, args...)
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
	out, err := w.Git(ctx, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// Tree is the tree hash of a commit.
func (w *Worktree) Tree(ctx context.Context, commitish string) (string, error) {
	out, err := w.Git(ctx, "rev-parse", commitish+"^{tree}")
	return strings.TrimSpace(out), err
}

// Modes are the git modes of paths at HEAD ("100644", "100755").
func (w *Worktree) Modes(ctx context.Context, paths []string) (map[string]string, error) {
	out, err := w.Git(ctx, append([]string{"ls-tree", "-z", "HEAD", "--"}, paths...)...)
	if err != nil {
		return nil, err
	}
	modes := map[string]string{}
	for _, entry := range strings.Split(out, "\x00") {
		meta, path, ok := strings.Cut(entry, "\t")
		if f := strings.Fields(meta); ok && len(f) == 3 {
			modes[path] = f[0]
		}
	}
	return modes, nil
}

// Push pushes HEAD to a branch of the remote, only if the branch is still
// at expect ("" meaning it must not exist): --force-with-lease, so a push
// never drops a commit made since we looked.
func (w *Worktree) Push(ctx context.Context, branch, expect string) error {
	ref := "refs/heads/" + branch
	out, err := w.repo.remote(ctx, w.Dir, "push", "--porcelain", "--force-with-lease="+ref+":"+expect, w.repo.Remote.URL, "HEAD:"+ref)
	// --porcelain prints "!<tab>from:to<tab>[rejected] (reason)" for a
	// refused ref, on stdout.
	for _, line := range strings.Split(out, "\n") {
		if f := strings.SplitN(line, "\t", 3); len(f) == 3 && f[0] == "!" {
			return &Rejected{Branch: branch, Reason: strings.TrimSpace(f[2])}
		}
	}
	return err
}

// Rejected is a push the remote or the lease refused.
type Rejected struct{ Branch, Reason string }

func (e *Rejected) Error() string {
	if strings.Contains(e.Reason, "stale info") || strings.Contains(e.Reason, "fetch first") {
		return fmt.Sprintf("push to %s refused: %s: the branch moved while winbake worked; re-run", e.Branch, e.Reason)
	}
	return fmt.Sprintf("push to %s refused: %s", e.Branch, e.Reason)
}

// Rev is the commit a revision names.
func (r *Repo) Rev(ctx context.Context, rev string) (string, error) {
	out, err := r.Git(ctx, "rev-parse", "--verify", "-q", rev+"^{commit}")
	return strings.TrimSpace(out), err
}

// Parents are the parents a commit object records. It reads the object
// itself: in a shallow checkout, history stops at the boundary, but the
// commit still names its parents.
func (w *Worktree) Parents(ctx context.Context, commit string) ([]string, error) {
	out, err := w.Git(ctx, "cat-file", "commit", commit)
	if err != nil {
		return nil, err
	}
	var parents []string
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			break
		}
		if sha, ok := strings.CutPrefix(line, "parent "); ok {
			parents = append(parents, sha)
		}
	}
	return parents, nil
}
