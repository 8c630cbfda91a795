package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
)

func TestPlanThenBake(t *testing.T) {
	dir, ref, aws := planWorld(t)
	aws.AddInstanceProfile(config.DefaultProfile)
	host := pipeline.Host{Clock: aws.Clock, Getenv: os.Getenv}

	if _, stderr, err := runIn(t, dir, "plan", "--json", "plan.json"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	out, stderr, err := runOn(t, host, dir, "bake", "--plan", "plan.json", "--out", "bake.json")
	if err != nil {
		t.Fatalf("%v\n%s%s", err, out, stderr)
	}
	f, err := bake.Read(filepath.Join(dir, "bake.json"))
	if err != nil {
		t.Fatal(err)
	}
	img, ok := f.Find("win")
	if !ok || len(img.AMIs) != 1 || img.AMIs[0].Region != "us-east-1" || img.Builder != "imagebuilder" || img.BuildVersionARN == "" {
		t.Fatalf("bake.json: %+v", f)
	}
	if len(img.Cache) != 1 || img.Cache[0].Ref != ref || !strings.HasPrefix(img.Cache[0].Digest, "sha256:") {
		t.Errorf("bake.json cache: %+v", img.Cache)
	}
	if !strings.Contains(out, "win: AVAILABLE after") || !strings.Contains(out, "win: us-east-1 "+img.AMIs[0].AMI) {
		t.Errorf("output:\n%s", out)
	}
}

func TestBakeStopsBeforeCreatingWhenProfileIsMissing(t *testing.T) {
	dir, _, aws := planWorld(t)
	host := pipeline.Host{Clock: aws.Clock, Getenv: os.Getenv}
	_, _, err := runOn(t, host, dir, "bake")
	if err == nil || !strings.Contains(err.Error(), `instance profile "WinbakeInstanceProfile" does not exist`) {
		t.Fatalf("err = %v", err)
	}
	if c := aws.ImageBuilderCounts(); c.Components+c.Recipes+c.Infrastructure+c.Distribution+c.Builds != 0 {
		t.Errorf("created %+v", c)
	}
	if _, err := os.Stat(filepath.Join(dir, "bake.json")); !os.IsNotExist(err) {
		t.Error("bake.json written")
	}
}
