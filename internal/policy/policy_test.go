package policy_test

import (
	"encoding/json"
	"flag"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/policy"
	"github.com/winbake/winbake/internal/testing/policycheck"
	"github.com/winbake/winbake/internal/testing/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

func parse(t *testing.T, yaml string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("winbake.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestDefaultPolicyIsCheckedIn keeps iam/winbake-policy.json the policy of
// the embedded default config, generated from it (not from its values).
func TestDefaultPolicyIsCheckedIn(t *testing.T) {
	cfg, err := config.Parse("(default)", config.DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	doc := policy.Generate(cfg, policy.Inputs{})
	if problems := policycheck.Check(doc); len(problems) > 0 {
		t.Errorf("policy check:\n%s", strings.Join(problems, "\n"))
	}
	got, err := policy.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, filepath.Join(testenv.RepoRoot(), "iam", "winbake-policy.json"), got, *update)
}

const govYAML = `images:
  - name: win
    kubernetes: "1.31"
    windows: 2022-core
    regions: [us-gov-west-1, us-gov-east-1]
    cache:
      - 123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/team/app:v1
imagebuilder:
  instanceProfile: BuildProfile
  instanceProfileRole: BuildRole
  subnetId: subnet-0123456789abcdef0
  securityGroupIds: [sg-0123456789abcdef0]
  logBucket: build-logs
  ssmParameter: /winbake/{image}/ami
  executionRole: WinbakeExecution
  launchTemplates:
    - {region: us-gov-west-1, id: lt-0123456789abcdef0}
`

func TestScopedToTheConfig(t *testing.T) {
	doc := policy.Generate(parse(t, govYAML), policy.Inputs{Account: "210987654321"})
	if problems := policycheck.Check(doc); len(problems) > 0 {
		t.Errorf("policy check:\n%s", strings.Join(problems, "\n"))
	}
	b, _ := json.Marshal(doc)
	s := string(b)
	for _, want := range []string{
		`arn:aws-us-gov:imagebuilder:us-gov-west-1:210987654321:component/winbake-*`,
		`arn:aws-us-gov:imagebuilder:us-gov-west-1:aws:component/update-windows/*`,
		`arn:aws-us-gov:iam::210987654321:role/BuildRole`,
		`arn:aws-us-gov:iam::210987654321:instance-profile/BuildProfile`,
		`arn:aws-us-gov:iam::210987654321:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder`,
		`arn:aws-us-gov:ssm:us-gov-east-1:210987654321:parameter/winbake/win/ami`,
		`arn:aws-us-gov:ecr:us-gov-west-1:123456789012:repository/team/app`,
		`"aws:RequestTag/winbake:image":["win"]`,
		`"aws:ResourceTag/winbake:image":["win"]`,
	} {
		if !strings.Contains(s, want) {
			t.Errorf("policy lacks %s", want)
		}
	}
	if strings.Contains(s, "arn:aws:") {
		t.Errorf("a GovCloud policy names the aws partition:\n%s", s)
	}
	// Image Builder resources live only where images are built.
	if strings.Contains(s, "imagebuilder:us-gov-east-1") {
		t.Errorf("Image Builder resources in a distribution-only region:\n%s", s)
	}
}

// TestNoGrantForWhatTheBuildDoesItself: the build instance writes its logs
// as the instance profile's role, and Image Builder updates launch
// templates and SSM output parameters during distribution as its
// service-linked role and the execution role, an hour after CreateImage returned (Image Builder User Guide, "Create and
// update AMI distribution configurations", SSM output parameter
// prerequisites). Granting them to the caller only widens what a leaked
// CI credential can do.
func TestNoGrantForWhatTheBuildDoesItself(t *testing.T) {
	doc := policy.Generate(parse(t, govYAML), policy.Inputs{Account: "210987654321"})
	for _, a := range doc.Actions() {
		switch a {
		case "s3:PutObject", "ssm:PutParameter", "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate",
			"ec2:DescribeLaunchTemplates":
			t.Errorf("the caller is granted %s, which winbake never calls", a)
		}
	}
}

// TestPassExecutionRoleToImageBuilder: CreateImage passes the execution
// role to Image Builder, which writes the SSM output parameter as it (Image
// Builder User Guide, "Prerequisites for SSM output parameters"): the
// caller may pass that role, to imagebuilder.amazonaws.com only, and no
// statement without an execution role.
func TestPassExecutionRoleToImageBuilder(t *testing.T) {
	for role, want := range map[string]string{
		"WinbakeExecution": "arn:aws-us-gov:iam::210987654321:role/WinbakeExecution",
		"arn:aws-us-gov:iam::210987654321:role/ib/Exec": "arn:aws-us-gov:iam::210987654321:role/ib/Exec",
	} {
		doc := policy.Generate(parse(t, strings.Replace(govYAML, "executionRole: WinbakeExecution", "executionRole: "+role, 1)), policy.Inputs{Account: "210987654321"})
		var found bool
		for _, st := range doc.Statement {
			if !slices.Contains(st.Resource, want) {
				continue
			}
			found = true
			b, _ := json.Marshal(st)
			if !slices.Equal(st.Action, []string{"iam:PassRole"}) || !strings.Contains(string(b), `"StringEquals":{"iam:PassedToService":"imagebuilder.amazonaws.com"}`) {
				t.Errorf("%s: statement on the execution role: %s", role, b)
			}
		}
		if !found {
			t.Errorf("%s: no statement on %s", role, want)
		}
	}
	noRole := strings.NewReplacer("  executionRole: WinbakeExecution\n", "", "  ssmParameter: /winbake/{image}/ami\n", "").Replace(govYAML)
	b, _ := json.Marshal(policy.Generate(parse(t, noRole), policy.Inputs{Account: "210987654321"}))
	if strings.Contains(string(b), `"iam:PassedToService":"imagebuilder.amazonaws.com"`) {
		t.Errorf("a role is passed to Image Builder without an execution role:\n%s", b)
	}
}

func TestChinaPassesTheRoleToEC2InItsOwnName(t *testing.T) {
	cfg := parse(t, strings.NewReplacer("us-gov-west-1", "cn-north-1", "us-gov-east-1", "cn-northwest-1").Replace(govYAML))
	b, _ := json.Marshal(policy.Generate(cfg, policy.Inputs{}))
	for _, want := range []string{`arn:aws-cn:iam::*:role/BuildRole`, `"iam:PassedToService":["ec2.amazonaws.com","ec2.amazonaws.com.cn"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("policy lacks %s:\n%s", want, b)
		}
	}
}

func TestRoleFromLookupWins(t *testing.T) {
	doc := policy.Generate(parse(t, govYAML), policy.Inputs{InstanceProfileRoleARN: "arn:aws-us-gov:iam::210987654321:role/path/Found"})
	b, _ := json.Marshal(doc)
	if !strings.Contains(string(b), `"arn:aws-us-gov:iam::210987654321:role/path/Found"`) || strings.Contains(string(b), "role/BuildRole") {
		t.Errorf("PassRole not on the looked-up role:\n%s", b)
	}
}

// TestCheckFindsWildcardsAndUnscopedCreates proves the checker catches
// what it is there for.
func TestCheckFindsWildcardsAndUnscopedCreates(t *testing.T) {
	bad := policy.Document{Version: "2012-10-17", Statement: []policy.Statement{
		{Sid: "A", Effect: "Allow", Action: []string{"imagebuilder:*"}, Resource: []string{"arn:aws:imagebuilder:us-east-1:1:component/winbake-*"}},
		{Sid: "B", Effect: "Allow", Action: []string{"imagebuilder:CreateComponent"}, Resource: []string{"*"}},
		{Sid: "C", Effect: "Allow", Action: []string{"ec2:CreateTags"}, Resource: []string{"arn:aws:ec2:us-east-1::snapshot/*"}},
		{Sid: "D", Effect: "Allow", Action: []string{"ec2:DeregisterImage"}, Resource: []string{"arn:aws:ec2:us-east-1::image/*"}},
		{Sid: "E", Effect: "Allow", Action: []string{"ssm:PutParameter"}, Resource: []string{"*"}},
	}}
	got := strings.Join(policycheck.Check(bad), "\n")
	for _, want := range []string{"A: wildcard action imagebuilder:*", "B: imagebuilder:CreateComponent on *", "C: ec2:CreateTags on arn:aws:ec2:us-east-1::snapshot/* without a condition",
		"D: ec2:DeregisterImage on arn:aws:ec2:us-east-1::image/* without a condition", "E: ssm:PutParameter on *"} {
		if !strings.Contains(got, want) {
			t.Errorf("check missed %q; got:\n%s", want, got)
		}
	}
}

func TestWildcardNamesAreRefused(t *testing.T) {
	_, err := policy.For(parse(t, strings.Replace(govYAML, "instanceProfile: BuildProfile", "instanceProfile: \"*\"", 1)), policy.Inputs{})
	if err == nil || !strings.Contains(err.Error(), `imagebuilder.instanceProfile: "*" holds an IAM wildcard`) {
		t.Errorf("err = %v", err)
	}
}

func TestPackerIsRefused(t *testing.T) {
	if _, err := policy.For(parse(t, "builder: packer\n"+govYAML), policy.Inputs{}); err == nil || !strings.Contains(err.Error(), "packer") {
		t.Errorf("err = %v", err)
	}
}

// TestRoleUnderAPath: a role's ARN holds its path (role/build/BuildRole,
// IAM User Guide, "IAM identifiers"); without credentials to look it up,
// the config names it so.
func TestRoleUnderAPath(t *testing.T) {
	doc := policy.Generate(parse(t, strings.Replace(govYAML, "instanceProfileRole: BuildRole", "instanceProfileRole: build/BuildRole", 1)), policy.Inputs{Account: "210987654321"})
	b, _ := json.Marshal(doc)
	if !strings.Contains(string(b), `"arn:aws-us-gov:iam::210987654321:role/build/BuildRole"`) {
		t.Errorf("PassRole not on the role under its path:\n%s", b)
	}
}

// TestInstanceProfileUnderAPath: iam:GetInstanceProfile is authorized on
// the profile's ARN, path included; the name alone misses a profile under
// /ci/. A looked-up ARN is used as it is.
func TestInstanceProfileUnderAPath(t *testing.T) {
	b, _ := json.Marshal(policy.Generate(parse(t, govYAML), policy.Inputs{Account: "210987654321"}))
	if !strings.Contains(string(b), `"arn:aws-us-gov:iam::210987654321:instance-profile/*/BuildProfile"`) {
		t.Errorf("GetInstanceProfile misses the profile under a path:\n%s", b)
	}
	found := "arn:aws-us-gov:iam::210987654321:instance-profile/ci/BuildProfile"
	doc := policy.Generate(parse(t, govYAML), policy.Inputs{Account: "210987654321", InstanceProfileARN: found})
	for _, st := range doc.Statement {
		if st.Sid == "BakePreflightInstanceProfile" && (len(st.Resource) != 1 || st.Resource[0] != found) {
			t.Errorf("GetInstanceProfile on %v, want the looked-up %s", st.Resource, found)
		}
	}
}
