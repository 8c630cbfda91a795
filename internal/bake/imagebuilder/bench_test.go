package imagebuilder_test

import (
	"context"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// BenchmarkBake runs a whole bake through a 60-minute build on simulated
// time and reports the AWS calls it made and how long after the image
// became AVAILABLE the bake noticed, beside a fixed 10 s poller.
func BenchmarkBake(b *testing.B) {
	for _, tc := range []struct {
		name string
		poll imagebuilder.PollPolicy
	}{{"state-aware", nil}, {"fixed-10s-baseline", imagebuilder.FixedPolicy(10 * time.Second)}} {
		b.Run(tc.name, func(b *testing.B) {
			var calls int
			var latency time.Duration
			for b.Loop() {
				e := newEnv(b, cfgYAML)
				e.baker.Poll = tc.poll
				ip := e.planFor(digestA)
				// 60 minutes and 7 seconds, so no poller is lucky by alignment.
				timeline := append([]awsfake.Phase{}, awsfake.DefaultTimeline...)
				timeline[len(timeline)-1].For += 7 * time.Second
				e.aws.SetNextBuild(awsfake.Build{Timeline: timeline})
				e.aws.ResetCalls()
				if err := e.baker.Preflight(context.Background(), e.cfg, e.cfg.Images[0]); err != nil {
					b.Fatal(err)
				}
				out, err := e.baker.Bake(context.Background(), e.cfg, e.cfg.Images[0], ip)
				if err != nil {
					b.Fatal(err)
				}
				_, available, _ := e.aws.BuildTimes(out.BuildVersionARN)
				latency = e.aws.Clock.Now().Sub(available)
				calls = e.aws.CountCalls("")
			}
			b.ReportMetric(float64(calls), "aws-calls/bake")
			b.ReportMetric(latency.Seconds(), "notice-latency-s")
		})
	}
}
