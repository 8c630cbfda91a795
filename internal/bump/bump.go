// Package bump is winbake's bump stage: it turns a bake into a reviewed
// change. For each image it finds and rewrites the AMI IDs of its lineage
// (with amiref), then (unless told not to) commits them on branch
// winbake/<image> and opens or updates the one pull request of that image.
// The user's checkout is never touched: the work happens in a scratch
// worktree of the base branch.
package bump

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/bake"
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

// Options of a bump.
type Options struct {
	Dir    string
	Config *config.Config
	Mode   Mode
	EC2    func(region string) amiref.EC2API
	// GitHub connects to GitHub; called only in PullRequest mode.
	GitHub func(ctx context.Context, repo *git.Repo) (Hub, error)
	Out    io.Writer
}

// Hub is where the branch is pushed and the pull request opened.
type Hub struct {
	Client *github.Client
	// Remote is the repository git reads, fetches and pushes, with the
	// token it authenticates with.
	Remote git.Remote
}

// Outcome is what happened to one image's pull request.
type Outcome = report.Outcome

// Run bumps each baked image, one pull request each, and goes on with the
// next image when one fails.
func Run(ctx context.Context, o Options, baked []bake.Image) ([]Outcome, error) {
	var outcomes []Outcome
	var errs []error
	for _, b := range baked {
		img, ok := o.Config.Image(b.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("the bake has image %q, which %s does not list", b.Name, o.Config.Source))
			continue
		}
		out, err := Image(ctx, o, img, b)
		outcomes = append(outcomes, out)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Name, err))
		}
	}
	return outcomes, errors.Join(errs...)
}

// Image bumps one image.
func Image(ctx context.Context, o Options, img config.Image, b bake.Image) (Outcome, error) {
	if o.Mode != PullRequest {
		return local(ctx, o, img, b)
	}
	j := &job{Options: o, img: img, bake: b, out: Outcome{Image: img.Name, Operation: report.None}}
	err := j.start(ctx)
	if err == nil {
		err = j.propose(ctx)
	}
	if j.wt != nil {
		j.wt.Close()
	}
	if err != nil {
		j.out.Err = err
		if j.out.Operation == report.None {
			j.out.Operation = report.Failed
		}
	}
	return j.out, err
}

// local shows (DryRun) or writes (NoPR) the changes in the user's checkout.
// bump.paths are relative to the repository's root, as in the pull
// request's worktree, wherever in the checkout bump runs.
func local(ctx context.Context, o Options, img config.Image, b bake.Image) (Outcome, error) {
	out := Outcome{Image: img.Name, Operation: report.None}
	root := checkoutRoot(ctx, o.Dir)
	res, err := prepare(ctx, o, img, b, root)
	if err != nil {
		return out, err
	}
	out.Changes = len(res.Changes)
	fmt.Fprint(o.Out, report.DryRun(img.Name, res))
	if o.Mode == NoPR {
		if err := write(root, res.Contents); err != nil {
			return out, err
		}
	}
	return out, nil
}

// prepare finds the image's AMI references under root and decides the
// changes.
func prepare(ctx context.Context, o Options, img config.Image, b bake.Image, root string) (*amiref.Result, error) {
	newAMIs := map[string]string{}
	regions := append([]string{}, img.Regions...)
	for _, a := range b.AMIs {
		newAMIs[a.Region] = a.AMI
		if !slices.Contains(regions, a.Region) {
			regions = append(regions, a.Region)
		}
	}
	if err := checkPaths(o.Config, root); err != nil {
		return nil, err
	}
	if b.Kubernetes != "" {
		img.Kubernetes = b.Kubernetes // what the new AMIs run
	}
	return amiref.Find(ctx, amiref.Request{
		Root: root, Paths: o.Config.Bump.Paths, Exclude: o.Config.Bump.Exclude, Config: configIn(checkoutRoot(ctx, o.Dir), o.Config.Source),
		EC2: o.EC2, Image: img, Regions: regions, NewAMIs: newAMIs,
	})
}

// checkPaths reports a bump.paths entry missing from the repository at its
// place in the config, since a typo there would otherwise stop the scan
// with a bare lstat error.
func checkPaths(cfg *config.Config, root string) error {
	var errs config.Errors
	for i, p := range cfg.Bump.Paths {
		if _, err := os.Lstat(filepath.Join(root, filepath.FromSlash(p))); errors.Is(err, fs.ErrNotExist) {
			field := fmt.Sprintf("bump.paths[%d]", i)
			line, col, _ := cfg.Position(field)
			errs = append(errs, &config.Error{File: cfg.Source, Line: line, Column: col, Path: field,
				Msg: fmt.Sprintf("%q is not in the repository; list folders that exist, relative to its root", p)})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// checkoutRoot is the top of the checkout dir is in, or dir outside git.
func checkoutRoot(ctx context.Context, dir string) string {
	if repo, err := git.Open(ctx, dir); err == nil {
		return repo.Dir
	}
	return dir
}

// configIn is the config file's path relative to the repository, or ""
// when it lives elsewhere: the config in use is never bumped.
func configIn(dir, source string) string {
	abs, err := filepath.Abs(source)
	if err != nil {
		return ""
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	root, err := filepath.EvalSymlinks(dir)
	if err == nil {
		root, err = filepath.Abs(root)
	}
	if err != nil {
		return ""
	}
	rel, err := filepath.Rel(root, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	return filepath.ToSlash(rel)
}

// write writes only inside the repository (amiref.Write refuses paths
// through symlinks).
func write(root string, contents map[string][]byte) error {
	return amiref.Write(root, contents)
}

// headlineAMI is the AMI named in titles: the one of the build region.
func headlineAMI(img config.Image, b bake.Image) string {
	if a, ok := b.AMIIn(img.BuildRegion()); ok {
		return a
	}
	return b.AMIs[0].AMI
}
