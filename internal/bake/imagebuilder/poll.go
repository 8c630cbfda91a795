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
