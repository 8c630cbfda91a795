package imagebuilder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

type env struct {
	aws   *awsfake.Server
	baker *imagebuilder.Baker
	log   *bytes.Buffer
	cfg   *config.Config
}

const cfgYAML = `images:
  - name: win
    kubernetes: "1.31"
    windows: 2022-core
    regions: [us-east-1, eu-west-1]
    cache:
      - mcr.microsoft.com/windows/nanoserver:ltsc2022
imagebuilder:
  subnetId: subnet-0123456789abcdef0
  securityGroupIds: [sg-0123456789abcdef0]
  logBucket: build-logs
  fastLaunch: {maxParallelLaunches: 6}
  ssmParameter: /winbake/{image}/ami
  executionRole: WinbakeExecution
  timeout: 3h
`

func newEnv(t testing.TB, yaml string) *env {
	s := awsfake.Start(t)
	s.AddInstanceProfile(config.DefaultProfile)
	s.AddSubnet("us-east-1", "subnet-0123456789abcdef0")
	clients, err := awsclient.Load(context.Background(), awsclient.WithRetrySleep(s.Clock.Sleep))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("winbake.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	log := &bytes.Buffer{}
	return &env{aws: s, log: log, cfg: cfg, baker: &imagebuilder.Baker{
		ImageBuilder: func(r string) imagebuilder.API { return clients.ImageBuilder(r) },
		EC2:          func(r string) imagebuilder.EC2API { return clients.EC2(r) },
		IAM:          clients.IAM("us-east-1"),
		STS:          clients.STS(""),
		Clock:        s.Clock,
		Log:          log,
	}}
}

// planFor is the plan of the config's first image, with base AMIs from
// the fake and one pinned image.
func (e *env) planFor(digest string) plan.Image {
	img := e.cfg.Images[0]
	ip := plan.Image{Name: img.Name, Kubernetes: img.Kubernetes, Windows: img.Windows, Build: "10.0.20348", Updates: true,
		SSMParameter: "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"}
	for _, r := range img.Regions {
		ip.BaseAMIs = append(ip.BaseAMIs, plan.BaseAMI{Region: r, AMI: e.aws.AddEKSAMI(r, "2022-core", "1.31")})
	}
	for _, ref := range img.Cache {
		ip.Cache = append(ip.Cache, plan.CacheImage{Image: registry.Image{Ref: ref, Digest: digest}, Size: 1 << 20})
	}
	return ip
}

const digestA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

func (e *env) bake(t testing.TB, ip plan.Image) (string, error) {
	t.Helper()
	if err := e.baker.Preflight(context.Background(), e.cfg, e.cfg.Images[0]); err != nil {
		return "", err
	}
	out, err := e.baker.Bake(context.Background(), e.cfg, e.cfg.Images[0], ip)
	if err != nil {
		return "", err
	}
	b, _ := json.Marshal(out.AMIs)
	return string(b), nil
}

func TestFirstBakeThenNothingNew(t *testing.T) {
	e := newEnv(t, cfgYAML)
	ip := e.planFor(digestA)
	amis, err := e.bake(t, ip)
	if err != nil {
		t.Fatalf("%v\n%s", err, e.log)
	}
	if got := e.aws.ImageBuilderCounts(); got != (awsfake.Counts{Components: 1, Recipes: 1, Infrastructure: 1, Distribution: 1, Builds: 1}) {
		t.Errorf("after the first bake: %+v", got)
	}
	for _, r := range []string{"us-east-1", "eu-west-1"} {
		imgs := e.aws.Images(r)
		var baked *awsfake.Image
		for i := range imgs {
			if imgs[i].Tags["winbake:image"] == "win" {
				baked = &imgs[i]
			}
		}
		if baked == nil {
			t.Fatalf("no AMI tagged winbake:image=win in %s", r)
		}
		if !strings.HasPrefix(baked.Name, "winbake-win-1.31-") || baked.Tags["winbake:cache/00"] != "mcr.microsoft.com/windows/nanoserver:ltsc2022@"+digestA ||
			baked.Tags["winbake:kubernetes"] != "1.31" || baked.Tags["winbake:windows"] != "2022-core" || baked.Tags["winbake:base-ami"] != ip.BaseAMIs[0].AMI {
			t.Errorf("AMI in %s: %+v", r, baked)
		}
		if v, _ := e.aws.Parameter(r, "/winbake/win/ami"); v != baked.ID {
			t.Errorf("SSM parameter in %s = %q, want %s", r, v, baked.ID)
		}
	}
	for _, want := range []string{"win: started build", "win: BUILDING after", "win: AVAILABLE after 55m"} {
		if !strings.Contains(e.log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, e.log)
		}
	}

	// The same input again creates nothing and starts no build.
	e.aws.ResetCalls()
	again, err := e.bake(t, ip)
	if err != nil {
		t.Fatal(err)
	}
	if again != amis {
		t.Errorf("second bake gave %s, want the first's %s", again, amis)
	}
	if got := e.aws.ImageBuilderCounts(); got.Builds != 1 || got.Components != 1 || got.Recipes != 1 {
		t.Errorf("the same input created more: %+v", got)
	}
	for _, c := range e.aws.Calls() {
		if strings.Contains(c.Action, ":Create") || strings.Contains(c.Action, ":Update") {
			t.Errorf("second bake called %s", c.Action)
		}
	}
}

func TestChangedCacheMakesNewPatchVersion(t *testing.T) {
	e := newEnv(t, cfgYAML)
	if _, err := e.bake(t, e.planFor(digestA)); err != nil {
		t.Fatal(err)
	}
	ip := e.planFor("sha256:" + strings.Repeat("b", 64))
	if _, err := e.bake(t, ip); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1.0.0", "1.0.1"}, e.aws.ComponentVersions("winbake-win")); diff != "" {
		t.Errorf("component versions (-want +got):\n%s", diff)
	}
	got := e.aws.ImageBuilderCounts()
	if got.Infrastructure != 1 || got.Distribution != 1 || got.Builds != 2 {
		t.Errorf("counts %+v", got)
	}
}

// killingClock cancels the bake the first time it would sleep: a run
// killed after it started a build.
type killingClock struct {
	*awsfake.Clock
	cancel context.CancelFunc
}

func (k killingClock) Sleep(ctx context.Context, d time.Duration) error {
	k.cancel()
	return context.Canceled
}

func TestKilledRunResumes(t *testing.T) {
	for _, delay := range []time.Duration{0, 2 * time.Minute} {
		t.Run("list delay "+delay.String(), func(t *testing.T) {
			e := newEnv(t, cfgYAML)
			// With a list delay the second run cannot see the first build
			// in List answers; the deterministic client token finds it.
			e.aws.SetListDelay(delay)
			ip := e.planFor(digestA)
			ctx, cancel := context.WithCancel(context.Background())
			killed := *e.baker
			killed.Clock = killingClock{e.aws.Clock, cancel}
			_, err := killed.Bake(ctx, e.cfg, e.cfg.Images[0], ip)
			if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "a re-run resumes it") {
				t.Fatalf("err = %v", err)
			}
			if _, err := e.bake(t, ip); err != nil {
				t.Fatalf("%v\n%s", err, e.log)
			}
			if n := e.aws.ImageBuilderCounts().Builds; n != 1 {
				t.Errorf("%d builds, want 1", n)
			}
		})
	}
}

func TestFaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   *awsfake.Fault
		build   *awsfake.Build
		wantErr string
	}{
		{name: "throttled GetImage is retried", fault: &awsfake.Fault{Action: "imagebuilder:GetImage", Status: 400, Code: "ThrottlingException", Message: "Rate exceeded", Times: 2}},
		{name: "Image Builder 429 is retried", fault: &awsfake.Fault{Action: "imagebuilder:ListComponents", Status: 429, Code: "CallRateLimitExceededException", Message: "slow down", Times: 2}},
		{name: "ten Image Builder 429s on GetImage are ridden out", fault: &awsfake.Fault{Action: "imagebuilder:GetImage", Status: 429, Code: "CallRateLimitExceededException", Message: "Rate exceeded", Times: 10}},
		{name: "500 is retried", fault: &awsfake.Fault{Action: "imagebuilder:CreateComponent", Status: 500, Code: "ServiceException", Message: "internal", Times: 1}},
		{name: "failed build", build: &awsfake.Build{FailIn: "BUILDING", Reason: "Step CacheContainerImages failed: winbake: pulling x failed after 5 attempts"},
			wantErr: "FAILED: Step CacheContainerImages failed: winbake: pulling x failed after 5 attempts; logs: CloudWatch Logs group /aws/imagebuilder/winbake-win in us-east-1, and s3://build-logs/winbake/win/"},
		{name: "partial distribution", build: &awsfake.Build{SkipRegions: []string{"eu-west-1"}},
			wantErr: "FAILED: Distribution failed for region(s) eu-west-1"},
		{name: "never finishes", build: &awsfake.Build{Never: true},
			wantErr: "is still BUILDING after 3h0m0s (imagebuilder.timeout); it goes on in AWS: re-run winbake bake to wait for it again"},
		{name: "denied", fault: &awsfake.Fault{Action: "imagebuilder:CreateImage", Status: 403, Code: "AccessDeniedException", Message: "not authorized"},
			wantErr: `AWS denied imagebuilder:CreateImage: allow it for the role winbake runs as; "winbake policy" prints the policy`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, cfgYAML)
			if tc.fault != nil {
				e.aws.AddFault(*tc.fault)
			}
			if tc.build != nil {
				e.aws.SetNextBuild(*tc.build)
			}
			_, err := e.bake(t, e.planFor(digestA))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("%v\n%s", err, e.log)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestFailedBuildIsRetriedByTheNextRun(t *testing.T) {
	e := newEnv(t, cfgYAML)
	ip := e.planFor(digestA)
	e.aws.SetNextBuild(awsfake.Build{FailIn: "TESTING", Reason: "test failed"})
	if _, err := e.bake(t, ip); err == nil {
		t.Fatal("no error for a failed build")
	}
	if _, err := e.bake(t, ip); err != nil {
		t.Fatalf("the next run did not complete: %v", err)
	}
	if n := e.aws.ImageBuilderCounts().Builds; n != 2 {
		t.Errorf("%d builds, want 2 (the failed one and its retry)", n)
	}
}

func TestPreflight(t *testing.T) {
	e := newEnv(t, strings.Replace(cfgYAML, "regions: [us-east-1, eu-west-1]", "regions: [eu-west-1]", 1))
	err := e.baker.Preflight(context.Background(), e.cfg, e.cfg.Images[0])
	if err == nil || !strings.Contains(err.Error(), "imagebuilder.subnetId: subnet subnet-0123456789abcdef0 is not in eu-west-1, where win is built") {
		t.Errorf("err = %v", err)
	}
	e = newEnv(t, cfgYAML+"  instanceProfile: Missing\n")
	err = e.baker.Preflight(context.Background(), e.cfg, e.cfg.Images[0])
	if err == nil || !strings.Contains(err.Error(), `instance profile "Missing" does not exist`) {
		t.Errorf("err = %v", err)
	}
	if n := e.aws.ImageBuilderCounts(); n != (awsfake.Counts{}) {
		t.Errorf("preflight created %+v", n)
	}
}

func TestChangedInfrastructureIsUpdatedInPlace(t *testing.T) {
	e := newEnv(t, cfgYAML)
	ip := e.planFor(digestA)
	if _, err := e.bake(t, ip); err != nil {
		t.Fatal(err)
	}
	e.cfg.ImageBuilder.InstanceTypes = []string{"m6i.2xlarge"}
	e.aws.ResetCalls()
	if _, err := e.bake(t, ip); err != nil {
		t.Fatal(err)
	}
	if n := e.aws.CountCalls("imagebuilder:UpdateInfrastructureConfiguration"); n != 1 || e.aws.ImageBuilderCounts().Infrastructure != 1 {
		t.Errorf("%d updates, %d configurations", n, e.aws.ImageBuilderCounts().Infrastructure)
	}
	if !strings.Contains(e.log.String(), "win: updated infrastructure configuration winbake-win") {
		t.Errorf("log:\n%s", e.log)
	}
	// A different build instance is a different input: a new build.
	if n := e.aws.ImageBuilderCounts().Builds; n != 2 {
		t.Errorf("%d builds, want 2", n)
	}
}

// TestConfigFlippedBackIsApplied: instance types A, B, A, B. An update
// with the token of an earlier update replays that answer and changes
// nothing (Image Builder API reference, clientToken; "Ensuring
// idempotency"), so a token made of the configuration and its content
// leaves the second B unapplied, and every later run "updates" it again.
func TestConfigFlippedBackIsApplied(t *testing.T) {
	e := newEnv(t, cfgYAML)
	ip := e.planFor(digestA)
	for i, types := range [][]string{{"m6i.xlarge"}, {"m6i.2xlarge"}, {"m6i.xlarge"}, {"m6i.2xlarge"}} {
		e.cfg.ImageBuilder.InstanceTypes = types
		e.cfg.ImageBuilder.FastLaunch.MaxParallelLaunches = 6 + 2*(i%2) // the distribution flips too
		if _, err := e.bake(t, ip); err != nil {
			t.Fatalf("bake %d: %v\n%s", i+1, err, e.log)
		}
	}
	e.log.Reset()
	if _, err := e.bake(t, ip); err != nil {
		t.Fatalf("same config again: %v\n%s", err, e.log)
	}
	if strings.Contains(e.log.String(), "updated infrastructure configuration") || strings.Contains(e.log.String(), "updated distribution configuration") {
		t.Errorf("the last update did not take; the run with the same config updates again:\n%s", e.log)
	}
}
