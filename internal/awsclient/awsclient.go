// Package awsclient builds the AWS SDK clients winbake uses, one per region,
// from the SDK's default credential chain (OIDC in GitHub Actions) and the
// endpoint overrides it honours (AWS_ENDPOINT_URL).
package awsclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// MaxAttempts bounds the SDK's attempts of one call. A bake lasts an hour;
// a minute of throttling should not end it: throttled retries wait up to
// 1, 2, 4, 8, 16, then 20 s (the standard retryer's backoff), so twelve
// attempts ride out about a minute of it at worst and two on average.
const MaxAttempts = 12

// throttleCodes are throttling codes the SDK does not know. Image Builder
// answers 429 CallRateLimitExceededException (Image Builder API reference,
// Common Errors); it is modeled, so the SDK neither retries it (only
// unmodeled 429s are, retry.retryableUnmodeledTooManyRequests) nor backs off
// from the 1 s a throttle gets instead of the 50 ms base of other retries
// (aws-sdk-go-v2 aws/retry/jitter_backoff.go, backoffDelay2026).
var throttleCodes = map[string]struct{}{"CallRateLimitExceededException": {}}

// NewRetryer is the retryer of every client: the SDK's standard retryer
// with Image Builder's throttling and more attempts.
func NewRetryer() aws.RetryerV2 {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = MaxAttempts
		o.Retryables = append(o.Retryables,
			retry.RetryableErrorCode{Codes: throttleCodes},
			retry.RetryableErrorCode{Codes: map[string]struct{}{"ServiceUnavailableException": {}}})
		o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: throttleCodes})
	})
}

// Retryable reports whether the SDK's retryer would retry err: a call that
// still fails with it after every attempt may succeed a while later.
func Retryable(err error) bool { return NewRetryer().IsErrorRetryable(err) }

// Option changes how clients are made.
type Option func(*options)

type options struct {
	sleep func(context.Context, time.Duration) error
}

// WithRetrySleep makes the retryer wait out its backoff with sleep (a
// simulated clock in tests) instead of the SDK's own timer.
func WithRetrySleep(sleep func(context.Context, time.Duration) error) Option {
	return func(o *options) { o.sleep = sleep }
}

// sleepingRetryer waits its backoff itself and tells the SDK to wait 0.
type sleepingRetryer struct {
	aws.RetryerV2
	sleep func(context.Context, time.Duration) error
}

func (r sleepingRetryer) RetryDelay(attempt int, err error) (time.Duration, error) {
	d, derr := r.RetryerV2.RetryDelay(attempt, err)
	if derr != nil {
		return 0, derr
	}
	return 0, r.sleep(context.Background(), d)
}

// Clients hands out SDK clients per region, made once each.
type Clients struct {
	cfg aws.Config

	mu    sync.Mutex
	cache map[string]any
}

// Load reads the shared AWS configuration and credentials.
func Load(ctx context.Context, opts ...Option) (*Clients, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		r := NewRetryer()
		if o.sleep != nil {
			return sleepingRetryer{r, o.sleep}
		}
		return r
	}))
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	return &Clients{cfg: cfg, cache: map[string]any{}}, nil
}

func get[T any](c *Clients, kind, region string, make func(aws.Config) T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := kind + "/" + region
	if v, ok := c.cache[key]; ok {
		return v.(T)
	}
	cfg := c.cfg.Copy()
	if region != "" {
		cfg.Region = region
	}
	v := make(cfg)
	c.cache[key] = v
	return v
}

// SSM returns the SSM client of a region.
func (c *Clients) SSM(region string) *ssm.Client {
	return get(c, "ssm", region, func(cfg aws.Config) *ssm.Client { return ssm.NewFromConfig(cfg) })
}

// EC2 returns the EC2 client of a region.
func (c *Clients) EC2(region string) *ec2.Client {
	return get(c, "ec2", region, func(cfg aws.Config) *ec2.Client { return ec2.NewFromConfig(cfg) })
}

// ECR returns the ECR client of a region.
func (c *Clients) ECR(region string) *ecr.Client {
	return get(c, "ecr", region, func(cfg aws.Config) *ecr.Client { return ecr.NewFromConfig(cfg) })
}

// ImageBuilder returns the Image Builder client of a region.
func (c *Clients) ImageBuilder(region string) *imagebuilder.Client {
	return get(c, "imagebuilder", region, func(cfg aws.Config) *imagebuilder.Client { return imagebuilder.NewFromConfig(cfg) })
}

// STS returns the STS client of a region.
func (c *Clients) STS(region string) *sts.Client {
	return get(c, "sts", region, func(cfg aws.Config) *sts.Client { return sts.NewFromConfig(cfg) })
}

// IAM returns the IAM client of a region's partition. IAM is global, but
// each partition has its own endpoint, which the SDK finds from a region of
// it; "" takes the configured region, which may be unset.
func (c *Clients) IAM(region string) *iam.Client {
	return get(c, "iam", region, func(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) })
}
