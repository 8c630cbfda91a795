package imagebuilder_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/policy"
)

// TestSSMOutputUnderTheExecutionRole: Image Builder writes the SSM output
// parameter during distribution as the execution role passed on
// CreateImage, which needs ssm:PutParameter on it (Image Builder User
// Guide, "Create and update AMI distribution configurations",
// "Prerequisites for SSM output parameters"). Under exactly the generated
// policy the bake passes the role, the caller is allowed to pass it to
// Image Builder, and the parameter holds the new AMI in every region.
func TestSSMOutputUnderTheExecutionRole(t *testing.T) {
	e := newEnv(t, cfgYAML)
	allowGenerated(t, e)
	if _, err := e.bake(t, e.planFor(digestA)); err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if got := e.aws.ExecutionRoles(); !slices.Equal(got, []string{"WinbakeExecution"}) {
		t.Errorf("builds started with execution roles %q, want [WinbakeExecution]", got)
	}
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		if v, ok := e.aws.Parameter(r, "/winbake/win/ami"); !ok || !strings.HasPrefix(v, "ami-") {
			t.Errorf("SSM parameter in %s = %q, %v", r, v, ok)
		}
	}
}

// TestExecutionRoleIsPassedToImageBuilder: passing the execution role is
// authorized as iam:PassRole to imagebuilder.amazonaws.com, beside
// CreateImage; without the generated statement for it the bake is refused,
// naming the action and the role.
func TestExecutionRoleIsPassedToImageBuilder(t *testing.T) {
	e := newEnv(t, cfgYAML)
	doc := generated(t, e)
	doc.Statement = slices.DeleteFunc(doc.Statement, func(s policy.Statement) bool { return s.Sid == "BakePassExecutionRole" })
	b, _ := policy.Marshal(doc)
	if err := e.aws.AllowPolicy(b); err != nil {
		t.Fatal(err)
	}
	_, err := e.bake(t, e.planFor(digestA))
	if want := "AWS denied iam:PassRole on arn:aws:iam::123456789012:role/WinbakeExecution"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}

// TestSSMOutputWithoutExecutionRoleFails: the config refuses ssmParameter
// without executionRole; should a build still start without one, Image
// Builder has only its service-linked role, which holds no
// ssm:PutParameter, and the build fails in distribution saying so.
func TestSSMOutputWithoutExecutionRoleFails(t *testing.T) {
	e := newEnv(t, cfgYAML)
	e.cfg.ImageBuilder.ExecutionRole = ""
	_, err := e.bake(t, e.planFor(digestA))
	if want := "is not authorized to perform: ssm:PutParameter on resource: arn:aws:ssm:us-east-1:123456789012:parameter/winbake/win/ami"; err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
	if v, ok := e.aws.Parameter("us-east-1", "/winbake/win/ami"); ok {
		t.Errorf("the parameter was written without an execution role: %q", v)
	}
}
