package imagebuilder

import (
	"context"
	"math/rand/v2"
	"time"
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

// maxLate bounds how long after a build turns AVAILABLE the bake notices.
const maxLate = 30 * time.Second

// StagePolicy spaces GetImage calls by how far the build is from AVAILABLE.
// A build goes PENDING, CREATING, BUILDING, TESTING, DISTRIBUTING,
// INTEGRATING, then AVAILABLE (Image Builder API reference, ImageState), so
// only DISTRIBUTING and INTEGRATING can turn AVAILABLE: there it polls at
// most maxLate apart. Before that it backs off, up to a cap that shrinks as
// AVAILABLE comes closer: BUILDING (updates, multi-GB pulls: most of a
// Windows bake) is two states away; from TESTING the AMI still has to be
// created and copied, which takes minutes. Jitter keeps parallel bakes from
// polling in step.
type StagePolicy struct {
	rng *rand.Rand
}

// NewStagePolicy seeds the jitter.
func NewStagePolicy(seed uint64) *StagePolicy {
	return &StagePolicy{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Next implements PollPolicy.
func (p *StagePolicy) Next(state string, sameState int) time.Duration {
	switch state {
	case "DISTRIBUTING", "INTEGRATING":
		return p.jitter(maxLate*5/6, maxLate)
	case "TESTING":
		return p.backoff(30*time.Second, 2*time.Minute, sameState)
	case "BUILDING":
		return p.backoff(30*time.Second, 4*time.Minute, sameState)
	default: // PENDING, CREATING: a few minutes at most
		return p.jitter(30*time.Second, 45*time.Second)
	}
}

// backoff grows from first by half each poll in the same state, up to max.
func (p *StagePolicy) backoff(first, max time.Duration, sameState int) time.Duration {
	d := first
	for i := 0; i < sameState && d < max; i++ {
		d = d * 3 / 2
	}
	d = min(d, max)
	return p.jitter(d*4/5, d)
}

func (p *StagePolicy) jitter(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(p.rng.Int64N(int64(hi-lo)+1))
}

// FixedPolicy polls at one interval, the naive baseline.
type FixedPolicy time.Duration

// Next implements PollPolicy.
func (f FixedPolicy) Next(string, int) time.Duration { return time.Duration(f) }
