package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

// TestPolicyWithoutCredentialsIsTheCheckedInFile: with no credentials and
// the embedded default config, winbake policy prints iam/winbake-policy.json.
func TestPolicyWithoutCredentialsIsTheCheckedInFile(t *testing.T) {
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "", "AWS_PROFILE": "",
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	out, stderr, err := runIn(t, t.TempDir(), "policy")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	want, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "iam", "winbake-policy.json"))
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("winbake policy printed:\n%s\nwant iam/winbake-policy.json", out)
	}
	if !strings.Contains(stderr, "writing * for it; pass --account") || !strings.Contains(stderr, "iam:PassRole names role WinbakeInstanceProfile, the instance profile's name") {
		t.Errorf("stderr:\n%s", stderr)
	}
}

// TestPolicyLooksUpAccountAndRole: with credentials, the account comes from
// STS and the role from the instance profile.
func TestPolicyLooksUpAccountAndRole(t *testing.T) {
	aws := awsfake.Start(t)
	aws.AddInstanceProfileWithRole("WinbakeInstanceProfile", "build/WinbakeBuild")
	out, stderr, err := runIn(t, t.TempDir(), "policy")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	for _, want := range []string{
		`"arn:aws:iam::` + awsfake.Account + `:role/build/WinbakeBuild"`,
		`"arn:aws:imagebuilder:us-east-1:` + awsfake.Account + `:component/winbake-*"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("policy lacks %s:\n%s", want, out)
		}
	}
	out, stderr, err = runIn(t, t.TempDir(), "policy", "--account", "210987654321")
	if err != nil || !strings.Contains(out, ":210987654321:component/winbake-*") {
		t.Errorf("--account: %v\n%s", err, out)
	}
	// The credentials' account holds the profile looked up; a policy for
	// another account must not pass a role of theirs.
	if strings.Contains(out, ":"+awsfake.Account+":") || !strings.Contains(out, `"arn:aws:iam::210987654321:role/WinbakeInstanceProfile"`) ||
		!strings.Contains(stderr, "was looked up in account "+awsfake.Account+", not 210987654321") {
		t.Errorf("--account with another account's credentials:\n%s\n%s", out, stderr)
	}
	if _, _, err := runIn(t, t.TempDir(), "policy", "--account", "12"); err == nil || !strings.Contains(err.Error(), "expected a 12-digit AWS account ID") {
		t.Errorf("err = %v", err)
	}
}

// TestPolicyOverTheManagedLimitSaysSo: three images built in three regions
// make a policy IAM refuses as a managed policy (6,144 characters without
// white space, IAM User Guide, "IAM and AWS STS quotas"); the user hears it
// before pasting it in.
func TestPolicyOverTheManagedLimitSaysSo(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_REGION", "us-east-1")
	dir := t.TempDir()
	image := func(name, windows, regions string) string {
		return "  - name: " + name + "\n    kubernetes: \"1.34\"\n    windows: " + windows + "\n    regions: [" + regions + "]\n"
	}
	cfg := "images:\n" + image("windows-2022-core", "2022-core", "us-east-1, eu-west-1, ap-southeast-2") +
		image("windows-2019-core", "2019-core", "eu-west-1, us-east-1, ap-southeast-2") +
		image("windows-2022-full", "2022-full", "ap-southeast-2, us-east-1, eu-west-1") +
		"imagebuilder:\n  instanceProfile: WinbakeInstanceProfile\n  ssmParameter: /winbake/{image}/ami\n  executionRole: WinbakeExecution\n"
	if err := os.WriteFile(filepath.Join(dir, "big.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := runIn(t, dir, "policy", "-c", "big.yaml", "--account", "123456789012")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	compact := strings.Join(strings.Fields(out), "")
	if len(compact) <= 6144 {
		t.Fatalf("the policy is %d characters: pick a config over the limit", len(compact))
	}
	if !strings.Contains(stderr, "over the 6144 of a managed policy") {
		t.Errorf("%d characters and no word of the limit:\n%s", len(compact), stderr)
	}
	_, stderr, _ = runIn(t, t.TempDir(), "policy", "--account", "123456789012")
	if strings.Contains(stderr, "managed policy") {
		t.Errorf("the default config's policy is under the limit, yet:\n%s", stderr)
	}
}

// TestPolicyLooksUpWithoutAWSRegion: credentials without a region (a
// profile that names none) still find the account and the role: the
// config's regions say which partition's STS and IAM to ask.
func TestPolicyLooksUpWithoutAWSRegion(t *testing.T) {
	aws := awsfake.Start(t)
	aws.AddInstanceProfileWithRole("WinbakeInstanceProfile", "build/WinbakeBuild")
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	out, stderr, err := runIn(t, t.TempDir(), "policy")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, `"arn:aws:iam::`+awsfake.Account+`:role/build/WinbakeBuild"`) {
		t.Errorf("no account or role looked up without AWS_REGION:\n%s\n%s", stderr, out)
	}
}
