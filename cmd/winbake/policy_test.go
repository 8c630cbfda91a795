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
