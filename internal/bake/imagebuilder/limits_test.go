package imagebuilder_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

// TestGetImageRateLimitIsRiddenOut: three minutes of Image Builder's own
// 429 while the build runs outlast even the SDK's retries; the wait keeps
// polling, and the bake completes.
func TestGetImageRateLimitIsRiddenOut(t *testing.T) {
	e := newEnv(t, cfgYAML)
	e.aws.AddFault(awsfake.Fault{Action: "imagebuilder:GetImage", Status: 429, Code: "CallRateLimitExceededException",
		Message: "Rate exceeded", For: 3 * time.Minute})
	if _, err := e.bake(t, e.planFor(digestA)); err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if !strings.Contains(e.log.String(), "win: GetImage failed") {
		t.Errorf("the burst did not outlast the SDK's retries; log:\n%s", e.log)
	}
}

// TestWaitEndsWithHowToResume: an error the wait cannot get over says the
// build goes on and that a re-run resumes waiting for it.
func TestWaitEndsWithHowToResume(t *testing.T) {
	e := newEnv(t, cfgYAML)
	e.aws.AllowOnly(slices.DeleteFunc(allActions(t, e), func(a string) bool { return a == "imagebuilder:GetImage" }))
	_, err := e.bake(t, e.planFor(digestA))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"AWS denied imagebuilder:GetImage", "the build goes on in AWS: re-run winbake bake to resume waiting for arn:aws:imagebuilder:us-east-1:123456789012:image/winbake-win/1.0.0/1"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
}

// TestDenialNamesTheActionAWSRefused: with every action allowed but one
// that AWS authorizes beside the operation called, the error names that
// action, not the operation.
func TestDenialNamesTheActionAWSRefused(t *testing.T) {
	for _, tc := range []struct{ missing, call string }{
		{"imagebuilder:GetComponent", "imagebuilder:CreateImageRecipe"},
		{"imagebuilder:TagResource", "imagebuilder:CreateComponent"},
		{"iam:PassRole", "imagebuilder:CreateInfrastructureConfiguration"},
		{"imagebuilder:GetDistributionConfiguration", "imagebuilder:CreateImage"},
	} {
		t.Run(tc.missing, func(t *testing.T) {
			e := newEnv(t, cfgYAML)
			e.aws.AllowOnly(slices.DeleteFunc(allActions(t, e), func(a string) bool { return a == tc.missing }))
			_, err := e.bake(t, e.planFor(digestA))
			if err == nil || !strings.Contains(err.Error(), "AWS denied "+tc.missing+" on arn:") ||
				!strings.Contains(err.Error(), "("+tc.call+" needs it)") || !strings.Contains(err.Error(), `"winbake policy" prints the policy`) {
				t.Errorf("err = %v\nwant it to name %s, the resource, and %s", err, tc.missing, tc.call)
			}
		})
	}
}

// TestCacheListsNeverShareAComponentBuild: list lag hides a component
// just created, so two cache lists of one image both create version 1.0.0;
// AWS makes the second one build 1.0.0/2. A recipe naming 1.0.0 would run
// whichever build is newest: each build must run its own cache list.
func TestCacheListsNeverShareAComponentBuild(t *testing.T) {
	for _, immutable := range []bool{false, true} {
		name := "second create makes build 2"
		if immutable {
			name = "second create refused"
		}
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, cfgYAML)
			e.aws.SetImmutableComponentVersions(immutable)
			e.aws.SetListDelay(2 * time.Minute)
			planA := e.planFor(digestA)
			planB := e.planFor(digestA)
			planB.Cache[0].Digest = digestB
			// Both bakes stop after their component, before the recipe.
			e.aws.AddFault(awsfake.Fault{Action: "imagebuilder:CreateImageRecipe", Status: 400, Code: "InvalidParameterValueException", Message: "try again", Times: 2})
			for _, ip := range []string{"A", "B"} {
				p := planA
				if ip == "B" {
					p = planB
				}
				if _, err := e.bake(t, p); err == nil {
					t.Fatalf("bake %s did not stop", ip)
				}
			}
			// A's retry, while lists still lag, then B's.
			for _, tc := range []struct {
				name        string
				digest, not string
			}{{"A", digestA, digestB}, {"B", digestB, digestA}} {
				p := planA
				if tc.name == "B" {
					p = planB
				}
				out, err := e.baker.Bake(context.Background(), e.cfg, e.cfg.Images[0], p)
				if err != nil {
					t.Fatalf("%s: %v\n%s", tc.name, err, e.log)
				}
				ran := ""
				for _, c := range e.aws.BuildComponents(out.BuildVersionARN) {
					ran += c.Data
				}
				if !strings.Contains(ran, tc.digest) || strings.Contains(ran, tc.not) {
					t.Errorf("bake %s (recipe naming %s) ran another cache list's component", tc.name, out.ComponentARN)
				}
				if strings.Count(out.ComponentARN, "/") != 3 {
					t.Errorf("bake %s names component %s, not a build", tc.name, out.ComponentARN)
				}
			}
		})
	}
}

const digestB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
