// Package prune removes the AMIs winbake baked that nothing uses any more,
// with their EBS snapshots, and tells for every AMI it keeps why.
//
// An AMI is a candidate only when this account owns it and it is tagged
// winbake:image=<name> for a configured image, in one of that image's
// regions. It is kept when any rule holds: among the newest N of its image
// and region, younger than the minimum age, its ID written anywhere in the
// repository, used by a launch template's $Default or $Latest version, run
// by an instance that is not terminated, the current value of the image's
// SSM output parameter, tagged winbake:keep, or protected from
// deregistration.
package prune

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/winbake/winbake/internal/config"
)

// Defaults of the keep rules.
const (
	DefaultKeep   = 2
	DefaultMinAge = 30 * 24 * time.Hour
)

// Clock is the run's time: Now for the age rule, Sleep while Fast Launch
// is being disabled.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// Options is one prune run.
type Options struct {
	Config *config.Config
	// Repo is the repository whose files keep an AMI by naming it.
	Repo string
	// Images and Regions narrow the run; empty means every configured one.
	Images, Regions []string
	// Ignore lists files that name AMIs without referring to them, such as
	// prune's own JSON report.
	Ignore []string
	Keep   int
	MinAge time.Duration
	// Apply removes what no rule keeps; without it nothing changes.
	Apply bool
	EC2   func(region string) EC2API
	SSM   func(region string) SSMAPI
	Clock Clock
	Log   io.Writer
}

// ParseAge reads a minimum age: a number of days ("30d") or a Go
// duration ("720h").
func ParseAge(s string) (time.Duration, error) {
	var d time.Duration
	var err error
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int
		n, err = strconv.Atoi(days)
		d = time.Duration(n) * 24 * time.Hour
	} else {
		d, err = time.ParseDuration(s)
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not an age; expected days such as 30d, or a duration such as 720h", s)
	}
	return d, nil
}

// target is one image in one region.
type target struct {
	image  config.Image
	region string
}

// targets checks the options and lists what the run covers, every image
// and region in config order; each problem is an error before any call.
func (o *Options) targets() ([]target, error) {
	if o.Config == nil {
		return nil, errors.New("prune: no config")
	}
	if o.Keep < 1 {
		return nil, fmt.Errorf("--keep %d: prune always keeps at least the newest AMI of each image and region; give 1 or more", o.Keep)
	}
	if o.MinAge < 0 {
		return nil, fmt.Errorf("--min-age %s: an age cannot be negative", o.MinAge)
	}
	var names []string
	for _, img := range o.Config.Images {
		names = append(names, img.Name)
	}
	for _, n := range o.Images {
		if !slices.Contains(names, n) {
			return nil, fmt.Errorf("--image %s: %s lists no such image (it has %s)", n, o.Config.Source, strings.Join(names, ", "))
		}
	}
	var out []target
	covered := map[string]bool{}
	for _, img := range o.Config.Images {
		if len(o.Images) > 0 && !slices.Contains(o.Images, img.Name) {
			continue
		}
		for _, r := range img.Regions {
			covered[r] = true
			if len(o.Regions) == 0 || slices.Contains(o.Regions, r) {
				out = append(out, target{img, r})
			}
		}
	}
	for _, r := range o.Regions {
		if !covered[r] {
			return nil, fmt.Errorf("--region %s: no image pruned here is configured for that region in %s", r, o.Config.Source)
		}
	}
	return out, nil
}

func (o *Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// Run decides for every candidate AMI whether to keep it and why, and with
// Apply removes the others. The result is returned even with an error, to
// report what was done before it.
func Run(ctx context.Context, o Options) (*Result, error) {
	targets, err := o.targets()
	if err != nil {
		return nil, err
	}
	res := &Result{Applied: o.Apply, Keep: o.Keep, MinAge: FormatAge(o.MinAge), PricePerGBMonth: SnapshotPricePerGBMonth, PriceSource: PriceSource}
	refs, err := repositoryRefs(ctx, o.Repo, o.Config.Bump.Paths, o.Ignore)
	if err != nil {
		if o.Apply {
			return nil, fmt.Errorf("%w; prune refuses to apply when an AMI reference might be missed", err)
		}
		res.Warnings = append(res.Warnings, err.Error()+"; --apply would refuse to run")
	}
	var plans []*regionPlan
	for _, region := range regionsOf(targets) {
		var imgs []config.Image
		for _, t := range targets {
			if t.region == region {
				imgs = append(imgs, t.image)
			}
		}
		rp, err := o.plan(ctx, res, region, imgs, refs)
		if err != nil {
			return nil, err
		}
		plans = append(plans, rp)
	}
	if !o.Apply {
		res.Total()
		return res, nil
	}
	// Every permission is proven before anything is removed.
	for _, rp := range plans {
		if err := rp.check(ctx); err != nil {
			return nil, err
		}
	}
	for _, rp := range plans {
		if err := rp.mark(ctx); err != nil {
			return nil, err
		}
	}
	var errs []error
	for _, rp := range plans {
		if err := o.apply(ctx, rp); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", rp.region, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	res.unfinished()
	res.Total()
	return res, errors.Join(errs...)
}

// unfinished says of what an applied run stopped before reaching that it
// was not done, so that the report never counts it as removed or freed.
func (r *Result) unfinished() {
	for _, a := range r.AMIs {
		if a.Decision == Remove {
			a.Decision, a.Reasons = Failed, []string{"not removed: the run stopped before reaching it"}
		}
	}
	for _, s := range r.Snapshots {
		if s.Decision == Delete {
			s.Decision, s.Reason = Left, "the run stopped before deleting it"
		}
	}
}

func regionsOf(targets []target) []string {
	var out []string
	for _, t := range targets {
		if !slices.Contains(out, t.region) {
			out = append(out, t.region)
		}
	}
	return out
}

// FormatAge writes an age the way ParseAge reads it, in days when whole.
func FormatAge(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
