package plan_test

import (
	"context"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestPlanDenialsNameTheActionAndThePolicy: planning reads SSM and EC2;
// a role without those permissions is told which action and where the
// policy is.
func TestPlanDenialsNameTheActionAndThePolicy(t *testing.T) {
	for _, tc := range []struct {
		allowed []string
		denied  string
	}{
		{[]string{"ec2:DescribeImages"}, "AWS denied ssm:GetParameter"},
		{[]string{"ssm:GetParameter"}, "AWS denied ec2:DescribeImages"},
	} {
		t.Run(tc.denied, func(t *testing.T) {
			w := newWorld(t, false)
			w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
			w.aws.AddEKSAMI("eu-west-1", "2022-core", "1.31")
			w.aws.AllowOnly(tc.allowed)
			_, err := w.planner(t, nil).Make(context.Background(), w.config(t, "1.31", w.ref("team/app:1")))
			if err == nil || !strings.Contains(err.Error(), tc.denied) || !strings.Contains(err.Error(), `"winbake policy" prints the policy`) {
				t.Errorf("err = %v", err)
			}
		})
	}
}

// TestPlanECRTokenDenied: a private ECR image with no ecr:GetAuthorizationToken
// names that action and the policy.
func TestPlanECRTokenDenied(t *testing.T) {
	w := newWorld(t, true)
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	w.aws.AddEKSAMI("eu-west-1", "2022-core", "1.31")
	w.aws.AllowOnly([]string{"ssm:GetParameter", "ec2:DescribeImages"})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ours := awsfake.Account + ".dkr.ecr.eu-west-1.amazonaws.com"
	_, err := w.planner(t, ecrRedirect{ours: w.reg.Host}).Make(context.Background(), w.config(t, "1.31", ours+"/team/app:1"))
	if err == nil || !strings.Contains(err.Error(), "AWS denied ecr:GetAuthorizationToken") || !strings.Contains(err.Error(), `"winbake policy" prints the policy`) {
		t.Errorf("err = %v", err)
	}
}
