package awsclient_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

func load(t *testing.T, s *awsfake.Server) *awsclient.Clients {
	t.Helper()
	c, err := awsclient.Load(context.Background(), awsclient.WithRetrySleep(s.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestImageBuilderRateLimitIsRiddenOut: Image Builder's own 429 for 20 s
// of simulated time. Retried as a mere retryable error (50 ms base, as
// before) the attempts are spent in a few seconds; as a throttle (1 s base)
// with a long bake's attempts, the call gets through.
func TestImageBuilderRateLimitIsRiddenOut(t *testing.T) {
	s := awsfake.Start(t)
	s.AddFault(awsfake.Fault{Action: "imagebuilder:ListComponents", Status: 429, Code: "CallRateLimitExceededException",
		Message: "Rate exceeded", For: 20 * time.Second})
	c := load(t, s)
	start := s.Clock.Now()
	_, err := c.ImageBuilder("us-east-1").ListComponents(context.Background(), &ib.ListComponentsInput{Owner: ibtypes.OwnershipSelf})
	if err != nil {
		t.Fatalf("a 20 s burst of 429s ended the call after %s and %d attempts: %v", s.Clock.Now().Sub(start), s.CountCalls(""), err)
	}
	if waited := s.Clock.Now().Sub(start); waited < 20*time.Second {
		t.Errorf("got through after %s, inside the burst", waited)
	}
}

// TestRateLimitBacksOffAsAThrottle looks at the delays themselves: a
// throttle's first retry waits up to 1 s, another error's up to 50 ms
// (aws-sdk-go-v2 aws/retry/jitter_backoff.go).
func TestRateLimitBacksOffAsAThrottle(t *testing.T) {
	var apiErr error = &ibtypes.CallRateLimitExceededException{Message: aws.String("Rate exceeded")}
	r := awsclient.NewRetryer()
	if !r.IsErrorRetryable(apiErr) {
		t.Fatal("CallRateLimitExceededException is not retried")
	}
	var longest time.Duration
	for range 200 {
		d, err := r.RetryDelay(1, apiErr)
		if err != nil {
			t.Fatal(err)
		}
		longest = max(longest, d)
	}
	if longest < 200*time.Millisecond {
		t.Errorf("longest of 200 first delays is %s: backing off from the 50 ms base, not as a throttle", longest)
	}
	if r.MaxAttempts() < 10 {
		t.Errorf("%d attempts: ten 429s in a row end a bake", r.MaxAttempts())
	}
}

// TestDenialNamesTheRefusedAction: each service words its denial its own
// way, and AWS often refuses an action the call needs beside its own.
func TestDenialNamesTheRefusedAction(t *testing.T) {
	s := awsfake.Start(t)
	s.AllowOnly([]string{"imagebuilder:CreateImageRecipe"})
	c := load(t, s)
	ctx := context.Background()
	for _, tc := range []struct {
		name       string
		call       func() error
		action     string
		calledWith string
	}{
		{"image builder, an action beside the call", func() error {
			_, err := c.ImageBuilder("us-east-1").CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{
				Name: aws.String("winbake-x"), SemanticVersion: aws.String("1.0.0"), ParentImage: aws.String("ami-0123456789abcdef0"),
				Components: []ibtypes.ComponentConfiguration{{ComponentArn: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:component/winbake-x/1.0.0/1")}},
			})
			return err
		}, "imagebuilder:GetComponent", "imagebuilder:CreateImageRecipe"},
		{"ssm while planning", func() error {
			_, err := c.SSM("us-east-1").GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/service/x")})
			return err
		}, "ssm:GetParameter", ""},
		{"ec2 while planning", func() error {
			_, err := c.EC2("us-east-1").DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{"ami-0123456789abcdef0"}})
			return err
		}, "ec2:DescribeImages", ""},
		{"iam", func() error {
			_, err := c.IAM("us-east-1").GetInstanceProfile(ctx, &iam.GetInstanceProfileInput{InstanceProfileName: aws.String("p")})
			return err
		}, "iam:GetInstanceProfile", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := awsclient.Explain(tc.call())
			var d *awsclient.Denied
			if !errors.As(err, &d) {
				t.Fatalf("not a denial: %v", err)
			}
			if d.Action != tc.action {
				t.Errorf("denied action %q, want %q (%v)", d.Action, tc.action, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "AWS denied "+tc.action) || !strings.Contains(msg, `"winbake policy" prints the policy`) {
				t.Errorf("message: %s", msg)
			}
			if tc.calledWith != "" && !strings.Contains(msg, "("+tc.calledWith+" needs it)") {
				t.Errorf("message does not name the call: %s", msg)
			}
		})
	}
}
