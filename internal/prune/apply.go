package prune

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
)

// Waiting for fast launch to be disabled: EC2 removes the pre-provisioned
// snapshots first, which takes minutes.
const (
	fastLaunchPoll    = 15 * time.Second
	fastLaunchTimeout = 20 * time.Minute
)

// check proves with DryRun that the changes this region needs are
// allowed, so that a missing permission stops the run before anything is
// removed. EC2 answers DryRunOperation when the call would have been
// allowed, UnauthorizedOperation when not. DeleteSnapshot is checked by
// mark, once the snapshots carry the tags a policy may require.
func (rp *regionPlan) check(ctx context.Context) error {
	dry := aws.Bool(true)
	var checks []error
	for _, a := range rp.remove {
		if a.FastLaunch != "" {
			_, err := rp.ec2.DisableFastLaunch(ctx, &ec2.DisableFastLaunchInput{ImageId: aws.String(a.ID), DryRun: dry})
			checks = append(checks, err)
			break
		}
	}
	if len(rp.remove) > 0 {
		_, err := rp.ec2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(rp.remove[0].ID), DryRun: dry})
		checks = append(checks, err)
	}
	for _, s := range rp.snaps {
		if s.Decision == Delete && !s.Earlier {
			_, err := rp.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{s.ID}, Tags: marks(s), DryRun: dry})
			checks = append(checks, err)
			break
		}
	}
	return rp.allowed(checks)
}

// mark tags the snapshots to delete (a change, but no removal), then
// proves DeleteSnapshot is allowed on them.
func (rp *regionPlan) mark(ctx context.Context) error {
	var first *Snap
	for _, s := range rp.snaps {
		if s.Decision != Delete {
			continue
		}
		if first == nil {
			first = s
		}
		if s.Earlier {
			continue
		}
		if _, err := rp.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{s.ID}, Tags: marks(s)}); err != nil {
			return fmt.Errorf("%s: marking snapshot %s for deletion: %w", rp.region, s.ID, awsclient.Explain(err))
		}
	}
	if first == nil {
		return nil
	}
	_, err := rp.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(first.ID), DryRun: aws.Bool(true)})
	return rp.allowed([]error{err})
}

func (rp *regionPlan) allowed(checks []error) error {
	for _, err := range checks {
		if err != nil && awsclient.ErrorCode(err) != "DryRunOperation" {
			return fmt.Errorf("%s: checking permissions before removing anything: %w", rp.region, awsclient.Explain(err))
		}
	}
	return nil
}

// marks are the tags that make a snapshot recognisable as one to delete,
// so that a run interrupted after deregistering its AMI is completed by the
// next.
func marks(s *Snap) []ec2types.Tag {
	return []ec2types.Tag{
		{Key: aws.String(amitag.PrunedFrom), Value: aws.String(s.AMI)},
		{Key: aws.String(amitag.Image), Value: aws.String(s.Image)},
	}
}

// apply removes the region's AMIs, oldest first: fast launch off (its
// pre-provisioned snapshots go with it), AMI deregistered; then deletes
// their marked snapshots that no registered AMI uses.
func (o *Options) apply(ctx context.Context, rp *regionPlan) error {
	var errs []error
	gone := map[string]bool{}
	for i := len(rp.remove) - 1; i >= 0; i-- {
		a := rp.remove[i]
		why, err := o.removeAMI(ctx, rp, a)
		if why != "" {
			a.Decision, a.Reasons = Keep, []string{why + " (found just before removing it)"}
			o.logf("%s: %s %s kept: %s", a.Image, rp.region, a.ID, why)
			continue
		}
		if err != nil {
			a.Decision, a.Reasons = Failed, []string{err.Error()}
			errs = append(errs, fmt.Errorf("%s: %w", a.ID, err))
			if ctx.Err() != nil {
				return errors.Join(errs...)
			}
			continue
		}
		a.Decision = Removed
		gone[a.ID] = true
		o.logf("%s: %s %s deregistered", a.Image, rp.region, a.ID)
	}
	stale := rp.stale
	for _, s := range rp.snaps {
		if s.Decision != Delete {
			continue
		}
		if !s.Earlier && !gone[s.AMI] {
			s.Decision, s.Reason = Left, "its AMI was not deregistered"
			stale = append(stale, s)
			continue
		}
		_, err := rp.ec2.DeleteSnapshot(ctx, &ec2.DeleteSnapshotInput{SnapshotId: aws.String(s.ID)})
		switch code := awsclient.ErrorCode(err); {
		case err == nil:
			s.Decision = Deleted
			o.logf("%s: %s snapshot %s deleted (%d GiB)", s.Image, rp.region, s.ID, s.SizeGiB)
		case code == "InvalidSnapshot.NotFound":
			s.Decision, s.Reason = Left, "already deleted"
		case code == "InvalidSnapshot.InUse":
			s.Decision, s.Reason = Left, "in use: "+errorMessage(err)
		default:
			s.Decision, s.Reason = Left, err.Error()
			errs = append(errs, fmt.Errorf("deleting snapshot %s: %w", s.ID, awsclient.Explain(err)))
			if ctx.Err() != nil {
				return errors.Join(errs...)
			}
		}
	}
	for _, s := range stale {
		if err := rp.unmark(ctx, s); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// unmark empties the deletion mark of a snapshot whose AMI stays. It
// writes the tags mark wrote (an empty winbake:pruned-from), so it needs no
// permission beyond mark's. A snapshot gone meanwhile needs none.
func (rp *regionPlan) unmark(ctx context.Context, s *Snap) error {
	tags := []ec2types.Tag{{Key: aws.String(amitag.PrunedFrom), Value: aws.String("")}, {Key: aws.String(amitag.Image), Value: aws.String(s.Image)}}
	_, err := rp.ec2.CreateTags(ctx, &ec2.CreateTagsInput{Resources: []string{s.ID}, Tags: tags})
	if err != nil && awsclient.ErrorCode(err) != "InvalidSnapshot.NotFound" {
		return fmt.Errorf("emptying the %s tag of snapshot %s, whose AMI stays: %w", amitag.PrunedFrom, s.ID, awsclient.Explain(err))
	}
	return nil
}

// inUse says what uses the AMI now, a launch template's $Default or
// $Latest version or an instance not terminated, or "" when nothing does.
func (rp *regionPlan) inUse(ctx context.Context, ami string) (string, error) {
	templates, err := launchTemplateImages(ctx, rp.ec2)
	if err != nil {
		return "", err
	}
	if lt, ok := templates[ami]; ok {
		return "used by " + lt, nil
	}
	running, err := instanceImages(ctx, rp.ec2, []string{ami})
	if err != nil {
		return "", err
	}
	if in, ok := running[ami]; ok {
		return "run by " + in, nil
	}
	return "", nil
}

// removeAMI disables fast launch and deregisters the AMI, unless a launch
// template or an instance has taken it up since the plan (disabling fast
// launch alone takes minutes): then it says what uses it.
func (o *Options) removeAMI(ctx context.Context, rp *regionPlan, a *AMI) (string, error) {
	if a.FastLaunch != "" {
		if err := o.disableFastLaunch(ctx, rp.ec2, a.ID); err != nil {
			return "", err
		}
	}
	if why, err := rp.inUse(ctx, a.ID); why != "" || err != nil {
		return why, err
	}
	_, err := rp.ec2.DeregisterImage(ctx, &ec2.DeregisterImageInput{ImageId: aws.String(a.ID)})
	if code := awsclient.ErrorCode(err); code == "InvalidAMIID.Unavailable" || code == "InvalidAMIID.NotFound" {
		return "", nil // deregistered meanwhile
	}
	if err != nil {
		return "", fmt.Errorf("deregistering: %w", awsclient.Explain(err))
	}
	return "", nil
}

// disableFastLaunch turns fast launch off and waits until EC2 has removed
// the pre-provisioned snapshots and no longer lists the AMI.
func (o *Options) disableFastLaunch(ctx context.Context, api EC2API, ami string) error {
	if _, err := api.DisableFastLaunch(ctx, &ec2.DisableFastLaunchInput{ImageId: aws.String(ami)}); err != nil {
		return fmt.Errorf("disabling Windows fast launch: %w", awsclient.Explain(err))
	}
	deadline := o.Clock.Now().Add(fastLaunchTimeout)
	for {
		out, err := api.DescribeFastLaunchImages(ctx, &ec2.DescribeFastLaunchImagesInput{ImageIds: []string{ami}})
		if err != nil {
			return fmt.Errorf("waiting for Windows fast launch to be disabled: %w", awsclient.Explain(err))
		}
		if len(out.FastLaunchImages) == 0 {
			return nil
		}
		f := out.FastLaunchImages[0]
		if f.State == ec2types.FastLaunchStateCodeDisablingFailed {
			return fmt.Errorf("Windows fast launch could not be disabled (%s); the AMI is left", aws.ToString(f.StateTransitionReason))
		}
		if !o.Clock.Now().Before(deadline) {
			return fmt.Errorf("Windows fast launch still %s after %s; the AMI is left for the next run", f.State, fastLaunchTimeout)
		}
		if err := o.Clock.Sleep(ctx, fastLaunchPoll); err != nil {
			return err
		}
	}
}

func errorMessage(err error) string {
	var ae interface{ ErrorMessage() string }
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	return err.Error()
}
