package imagebuilder

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// Clock tells and passes time; tests pass simulated time.
type Clock interface {
	Now() time.Time
	Sleep(ctx context.Context, d time.Duration) error
}

// RealClock is the wall clock.
type RealClock struct{}

// Now is time.Now.
func (RealClock) Now() time.Time { return time.Now() }

// Sleep waits d or until ctx is done.
func (RealClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// PollPolicy says how long to wait before the next GetImage.
type PollPolicy interface {
	Next(state string, sameState int) time.Duration
}

// StatePolicy polls by what the build is doing. Most of a Windows bake is
// BUILDING (updates, multi-GB pulls), where it backs off to two minutes;
// from TESTING on, AVAILABLE can come any time, so it polls at most 30 s
// apart. Jitter keeps parallel bakes from polling in step.
type StatePolicy struct {
	rng *rand.Rand
}

// NewStatePolicy seeds the jitter.
func NewStatePolicy(seed uint64) *StatePolicy {
	return &StatePolicy{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next implements PollPolicy.
func (p *StatePolicy) Next(state string, sameState int) time.Duration {
	switch state {
	case "BUILDING":
		d := 30 * time.Second
		for range sameState {
			d = d * 3 / 2
			if d >= 120*time.Second {
				d = 120 * time.Second
				break
			}
		}
		return p.jitter(d*4/5, d)
	case "TESTING", "DISTRIBUTING", "INTEGRATING":
		return p.jitter(20*time.Second, 30*time.Second)
	default: // PENDING, CREATING
		return p.jitter(15*time.Second, 30*time.Second)
	}
}

func (p *StatePolicy) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(p.rng.Int64N(int64(hi-lo)+1))
}

// FixedPolicy polls at one interval, the naive baseline.
type FixedPolicy time.Duration

// Next implements PollPolicy.
func (f FixedPolicy) Next(string, int) time.Duration { return time.Duration(f) }

// wait polls the build until it ends, printing each state change.
func (b *Baker) wait(ctx context.Context, api API, img config.Image, arn string, ic config.ImageBuilder, bakeID string) (*types.Image, error) {
	poll := b.Poll
	if poll == nil {
		poll = NewStatePolicy(binary.BigEndian.Uint64([]byte(bakeID[:8])))
	}
	start := b.Clock.Now()
	deadline := start.Add(ic.Timeout.Duration)
	last, same := "", 0
	for {
		out, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
		if err != nil {
			return nil, fmt.Errorf("watching build %s: %w", arn, awsclient.Explain(err))
		}
		image := out.Image
		state := string(image.State.Status)
		elapsed := b.Clock.Now().Sub(start).Truncate(time.Second)
		if state != last {
			b.logf("%s: %s after %s", img.Name, state, elapsed)
			last, same = state, 0
		} else {
			same++
		}
		switch image.State.Status {
		case types.ImageStatusAvailable:
			return image, nil
		case types.ImageStatusFailed, types.ImageStatusCancelled:
			return image, &BuildFailed{Image: img.Name, ARN: arn, State: state, Reason: aws.ToString(image.State.Reason), Logs: logLocation(img, ic)}
		}
		if !b.Clock.Now().Before(deadline) {
			return nil, fmt.Errorf("%s: build %s is still %s after %s (imagebuilder.timeout); it goes on in AWS: re-run winbake bake to wait for it again, or cancel it in the console", img.Name, arn, state, ic.Timeout.Duration)
		}
		if err := b.Clock.Sleep(ctx, poll.Next(state, same)); err != nil {
			return nil, fmt.Errorf("%s: stopped waiting for build %s (%s); a re-run resumes it: %w", img.Name, arn, state, err)
		}
	}
}

// BuildFailed is a build that ended FAILED or CANCELLED.
type BuildFailed struct {
	Image, ARN, State, Reason, Logs string
}

func (e *BuildFailed) Error() string {
	reason := e.Reason
	if reason == "" {
		reason = "AWS gave no reason"
	}
	return fmt.Sprintf("%s: build %s %s: %s; logs: %s", e.Image, e.ARN, e.State, reason, e.Logs)
}

func logLocation(img config.Image, ic config.ImageBuilder) string {
	loc := fmt.Sprintf("CloudWatch Logs group /aws/imagebuilder/%s in %s", components.ComponentName(img.Name), img.BuildRegion())
	if ic.LogBucket != "" {
		loc += fmt.Sprintf(", and s3://%s/winbake/%s/", ic.LogBucket, img.Name)
	}
	return loc
}
