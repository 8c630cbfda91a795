// Package awsclient builds the AWS SDK clients winbake uses, one per region,
// from the SDK's default credential chain (OIDC in GitHub Actions) and the
// endpoint overrides it honours (AWS_ENDPOINT_URL).
package awsclient

import (
	"context"
	"fmt"
	"sync"

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

// MaxAttempts bounds the SDK's retries of throttling and 5xx answers. A
// bake lasts an hour; a burst of throttling should not end it.
const MaxAttempts = 8

// Clients hands out SDK clients per region, made once each.
type Clients struct {
	cfg aws.Config

	mu    sync.Mutex
	cache map[string]any
}

// Load reads the shared AWS configuration and credentials.
func Load(ctx context.Context) (*Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryer(func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = MaxAttempts
			// Image Builder's own throttling code is not retried by default.
			o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: map[string]struct{}{
				"CallRateLimitExceededException": {},
				"ServiceUnavailableException":    {},
			}})
		})
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

// IAM returns the IAM client (IAM is global).
func (c *Clients) IAM() *iam.Client {
	return get(c, "iam", "", func(cfg aws.Config) *iam.Client { return iam.NewFromConfig(cfg) })
}
