package imagebuilder_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// previousPolicy is the poller winbake had before StagePolicy, kept as the
// benchmark's baseline: it backed off to 2 min in BUILDING only and polled
// 20-30 s apart from TESTING on.
type previousPolicy struct{ rng *rand.Rand }

func (p previousPolicy) Next(state string, sameState int) time.Duration {
	jitter := func(lo, hi time.Duration) time.Duration { return lo + time.Duration(p.rng.Int64N(int64(hi-lo)+1)) }
	switch state {
	case "BUILDING":
		d := 30 * time.Second
		for range sameState {
			if d = d * 3 / 2; d >= 120*time.Second {
				d = 120 * time.Second
				break
			}
		}
		return jitter(d*4/5, d)
	case "TESTING", "DISTRIBUTING", "INTEGRATING":
		return jitter(20*time.Second, 30*time.Second)
	default:
		return jitter(15*time.Second, 30*time.Second)
	}
}

// BenchmarkPoll bakes through the default 55-minute build timeline (plus
// 7 s, so that no poller is lucky by alignment) on simulated time, with 20
// jitter seeds per poller, and reports the GetImage calls of a bake (mean
// and worst) and how late it noticed AVAILABLE (worst), beside the
// previous poller and a fixed 10 s one.
func BenchmarkPoll(b *testing.B) {
	const seeds = 20
	for _, tc := range []struct {
		name string
		poll func(seed uint64) imagebuilder.PollPolicy
	}{
		{"stage", func(seed uint64) imagebuilder.PollPolicy { return imagebuilder.NewStagePolicy(seed) }},
		{"previous-baseline", func(seed uint64) imagebuilder.PollPolicy {
			return previousPolicy{rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
		}},
		{"fixed-10s-baseline", func(uint64) imagebuilder.PollPolicy { return imagebuilder.FixedPolicy(10 * time.Second) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var total, worst int
			var late time.Duration
			for b.Loop() {
				total, worst, late = 0, 0, 0
				for seed := range uint64(seeds) {
					calls, l := pollOnce(b, tc.poll(seed+1))
					total += calls
					worst = max(worst, calls)
					late = max(late, l)
				}
			}
			b.ReportMetric(float64(total)/seeds, "getimage/bake")
			b.ReportMetric(float64(worst), "getimage-worst/bake")
			b.ReportMetric(late.Seconds(), "late-worst-s")
		})
	}
}

// pollOnce bakes once and returns the GetImage calls and how long after
// the build turned AVAILABLE the bake noticed.
func pollOnce(b *testing.B, poll imagebuilder.PollPolicy) (int, time.Duration) {
	e := newEnv(b, cfgYAML)
	e.baker.Poll = poll
	ip := e.planFor(digestA)
	timeline := append([]awsfake.Phase{}, awsfake.DefaultTimeline...)
	timeline[len(timeline)-1].For += 7 * time.Second
	e.aws.SetNextBuild(awsfake.Build{Timeline: timeline})
	out, err := e.baker.Bake(context.Background(), e.cfg, e.cfg.Images[0], ip)
	if err != nil {
		b.Fatal(err)
	}
	_, available, _ := e.aws.BuildTimes(out.BuildVersionARN)
	return e.aws.CountCalls("imagebuilder:GetImage"), e.aws.Clock.Now().Sub(available)
}
