package config

import (
	"strings"
	"testing"
)

// Image Builder writes an SSM output parameter only as an execution role
// with ssm:PutParameter (Image Builder User Guide, "Prerequisites for SSM
// output parameters"): a parameter without a role is refused where it is
// written, naming what to create.
func TestSSMParameterNeedsExecutionRole(t *testing.T) {
	const head = `images:
  - {name: win, kubernetes: "1.31", windows: 2022-core, regions: [eu-west-1]}
imagebuilder:
  ssmParameter: /winbake/{image}/ami
`
	_, err := Parse("w.yaml", []byte(head))
	for _, want := range []string{"w.yaml:4:17: imagebuilder.ssmParameter: needs imagebuilder.executionRole", "imagebuilder.amazonaws.com", "EC2ImageBuilderExecutionPolicy", "ssm:PutParameter"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
	for _, role := range []string{"WinbakeExecution", "arn:aws:iam::123456789012:role/build/WinbakeExecution"} {
		cfg, err := Parse("w.yaml", []byte(head+"  executionRole: "+role+"\n"))
		if err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		if got, want := cfg.ImageBuilder.ExecutionRoleARN("eu-west-1", "123456789012"), "arn:aws:iam::123456789012:role/build/WinbakeExecution"; role == want && got != want {
			t.Errorf("ARN = %q, want %q", got, want)
		}
	}
	cfg, _ := Parse("w.yaml", []byte(head+"  executionRole: WinbakeExecution\n"))
	if got := cfg.ImageBuilder.ExecutionRoleARN("cn-north-1", "123456789012"); got != "arn:aws-cn:iam::123456789012:role/WinbakeExecution" {
		t.Errorf("ARN from a name = %q", got)
	}
	// The Packer builder does not write the parameter.
	if _, err := Parse("w.yaml", []byte("builder: packer\n"+head)); err != nil {
		t.Errorf("packer: %v", err)
	}
}

func TestExecutionRoleIsChecked(t *testing.T) {
	const head = `images:
  - {name: win, kubernetes: "1.31", windows: 2022-core, regions: [eu-west-1]}
imagebuilder:
`
	for _, tc := range []struct{ role, want string }{
		{`"no spaces"`, `w.yaml:4:18: imagebuilder.executionRole: "no spaces" is not an IAM role name`},
		{"build/WinbakeExecution", "or the role's ARN if it has a path"},
		{"arn:aws:iam::1234:role/X", `imagebuilder.executionRole: "arn:aws:iam::1234:role/X" is not an IAM role ARN`},
		{"arn:aws:iam::123456789012:instance-profile/X", "is not an IAM role ARN"},
		{"arn:aws-cn:iam::123456789012:role/X", "is in partition aws-cn, but the images are built in aws"},
	} {
		_, err := Parse("w.yaml", []byte(head+"  executionRole: "+tc.role+"\n"))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.role, err, tc.want)
		}
	}
}
