package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/registrytest"
)

// planWorld has a registry with a 2022 image, a fake AWS with the EKS AMI,
// and a winbake.yaml that caches the image.
func planWorld(t *testing.T) (dir, ref string, aws *awsfake.Server) {
	reg := registrytest.Start(t, false)
	aws = awsfake.Start(t)
	aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	base := registrytest.RandomLayer(t, 64<<10)
	win := registrytest.Image(t, "windows", "amd64", "10.0.20348.2762", base)
	reg.Push(t, "windows/servercore:ltsc2022", registrytest.Index(t, win))
	ref = reg.Push(t, "team/app:1", registrytest.Index(t,
		registrytest.Image(t, "windows", "amd64", "10.0.20348.2762", base, registrytest.RandomLayer(t, 8<<10)),
		registrytest.Image(t, "linux", "amd64", "", registrytest.RandomLayer(t, 8<<10))))
	dir = t.TempDir()
	cfg := "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n" +
		"    baseImages: [" + reg.Host + "/windows/servercore:ltsc2022]\n    cache: [" + ref + "]\n"
	if err := os.WriteFile(filepath.Join(dir, "winbake.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, ref, aws
}

func TestPlanThenRender(t *testing.T) {
	dir, ref, _ := planWorld(t)
	out, stderr, err := runIn(t, dir, "plan", "--json", "plan.json", "--markdown", "plan.md")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "each new node is spared pulling 8.0 KiB (64.0 KiB more is on the AMI already)") {
		t.Errorf("plan output:\n%s", out)
	}
	md, _ := os.ReadFile(filepath.Join(dir, "plan.md"))
	if !strings.Contains(string(md), "```mermaid") || !strings.Contains(string(md), ref) {
		t.Errorf("plan.md:\n%s", md)
	}
	p, err := plan.Read(filepath.Join(dir, "plan.json"))
	if err != nil {
		t.Fatal(err)
	}
	pinned := p.Images[0].Cache[0].Digest

	if _, stderr, err := runIn(t, dir, "render", "--plan", "plan.json"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	doc, _ := os.ReadFile(filepath.Join(dir, "out", "win", "component.yaml"))
	repo := strings.TrimSuffix(ref, ":1")
	if !strings.Contains(string(doc), `"pull":"`+repo+"@"+pinned+`","tag":"`+ref+`"`) {
		t.Errorf("the component does not pull the planned digest %s then tag %s:\n%s", pinned, ref, doc)
	}
	recipe, _ := os.ReadFile(filepath.Join(dir, "out", "win", "recipe.json"))
	if !strings.Contains(string(recipe), `"parentImage": "`+p.Images[0].BaseAMIs[0].AMI+`"`) {
		t.Errorf("the recipe does not start from the planned AMI:\n%s", recipe)
	}
}

func TestPlanFailsWithoutWriting(t *testing.T) {
	dir, ref, _ := planWorld(t)
	cfg, _ := os.ReadFile(filepath.Join(dir, "winbake.yaml"))
	cfg = []byte(strings.Replace(string(cfg), ref, ref+", "+ref+"-missing", 1))
	os.WriteFile(filepath.Join(dir, "winbake.yaml"), cfg, 0o644)
	_, stderr, err := runIn(t, dir, "plan", "--json", "plan.json")
	if err == nil || !strings.Contains(stderr, "winbake: plan: win: "+ref+"-missing: tag 1-missing not found") {
		t.Fatalf("err = %v, stderr:\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "plan.json")); !os.IsNotExist(err) {
		t.Error("plan.json written despite problems")
	}
}

// TestPlanWithoutCredentials: a first run without AWS credentials says so
// once, rather than once per region in the SDK's words.
func TestPlanWithoutCredentials(t *testing.T) {
	dir, _, _ := planWorld(t)
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	_, stderr, err := runIn(t, dir, "plan")
	if err == nil || !strings.HasPrefix(err.Error(), "no AWS credentials: set them in the environment") || !strings.Contains(err.Error(), "AWS_PROFILE") || strings.Contains(stderr, "base AMI in") {
		t.Fatalf("err = %v, stderr:\n%s", err, stderr)
	}
}

func TestRenderRejectsStalePlan(t *testing.T) {
	dir, ref, _ := planWorld(t)
	if _, stderr, err := runIn(t, dir, "plan", "--json", "plan.json"); err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	cfg, _ := os.ReadFile(filepath.Join(dir, "winbake.yaml"))
	os.WriteFile(filepath.Join(dir, "winbake.yaml"), []byte(strings.Replace(string(cfg), "cache: [", "cache: [nginx, ", 1)), 0o644)
	_, _, err := runIn(t, dir, "render", "--plan", "plan.json")
	if err == nil || !strings.Contains(err.Error(), "plan.json: no digest for nginx of image win; re-run winbake plan") {
		t.Errorf("err = %v (ref %s)", err, ref)
	}
}

func TestPlanShowsWarnings(t *testing.T) {
	dir, ref, _ := planWorld(t)
	host := strings.SplitN(ref, "/", 2)[0]
	f := filepath.Join(dir, "winbake.yaml")
	cfg, _ := os.ReadFile(f)
	cfg = []byte(strings.Replace(string(cfg), "/windows/servercore:ltsc2022]", "/windows/servercore:ltsc2022, "+host+"/windows/nanoserver:ltsc2019]", 1))
	os.WriteFile(f, cfg, 0o644)
	out, stderr, err := runIn(t, dir, "plan")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if !strings.Contains(out, "  warning: base image "+host+"/windows/nanoserver:ltsc2019 could not be read (tag ltsc2019 not found") {
		t.Errorf("plan output:\n%s", out)
	}
}
