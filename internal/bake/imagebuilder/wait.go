package imagebuilder

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// maxOutage is how long the wait keeps polling through GetImage failures
// AWS may get over (throttling, 5xx, lost connections) that outlast the
// SDK's own retries.
const maxOutage = 15 * time.Minute

// wait polls the build until it ends, printing each state change.
func (b *Baker) wait(ctx context.Context, api API, img config.Image, arn string, ic config.ImageBuilder, bakeID string) (*types.Image, error) {
	poll := b.Poll
	if poll == nil {
		poll = NewStagePolicy(binary.BigEndian.Uint64([]byte(bakeID[:8])))
	}
	start := b.Clock.Now()
	deadline := start.Add(ic.Timeout.Duration)
	resume := fmt.Sprintf("the build goes on in AWS: re-run winbake bake to resume waiting for %s", arn)
	last, same := "", 0
	var failingSince time.Time
	for {
		out, err := api.GetImage(ctx, &ib.GetImageInput{ImageBuildVersionArn: aws.String(arn)})
		if err != nil {
			now := b.Clock.Now()
			if failingSince.IsZero() {
				failingSince = now
			}
			if !awsclient.Retryable(err) || now.Sub(failingSince) >= maxOutage || ctx.Err() != nil {
				return nil, fmt.Errorf("%s: watching build %s: %w; %s", img.Name, arn, awsclient.Explain(err), resume)
			}
			b.logf("%s: GetImage failed (%v); trying again", img.Name, err)
		} else {
			failingSince = time.Time{}
			image := out.Image
			state := string(image.State.Status)
			if state != last {
				b.logf("%s: %s after %s", img.Name, state, b.Clock.Now().Sub(start).Truncate(time.Second))
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
		}
		if !b.Clock.Now().Before(deadline) {
			return nil, fmt.Errorf("%s: build %s is still %s after %s (imagebuilder.timeout); it goes on in AWS: re-run winbake bake to wait for it again, or cancel it in the console", img.Name, arn, last, ic.Timeout.Duration)
		}
		if err := b.Clock.Sleep(ctx, poll.Next(last, same)); err != nil {
			return nil, fmt.Errorf("%s: stopped waiting for build %s (%s); a re-run resumes it: %w", img.Name, arn, last, err)
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
