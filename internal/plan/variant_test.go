package plan_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/report"
	"github.com/winbake/winbake/internal/testing/registrytest"
)

const build2025 = "10.0.26100.1742"

// variantConfig is one image of a Windows variant caching refs, with the
// given base images.
func variantConfig(t *testing.T, variant, k8s string, base []string, refs ...string) *config.Config {
	t.Helper()
	y := "images:\n  - name: win\n    kubernetes: \"" + k8s + "\"\n    windows: " + variant + "\n    regions: [us-east-1]\n"
	if len(base) > 0 {
		y += "    baseImages: [" + strings.Join(base, ", ") + "]\n"
	}
	y += "    cache:\n"
	for _, r := range refs {
		y += "      - " + r + "\n"
	}
	cfg, err := config.Parse("winbake.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestPlanPicksTheVariantTheNodeRuns follows containerd's rule
// (github.com/containerd/platforms checkWindowsHostAndContainerCompat and
// windowsMatchComparer.Less): a 2022 or newer node runs builds from 20348 up
// to its own and prefers the newest; a 2019 node needs 17763 exactly.
func TestPlanPicksTheVariantTheNodeRuns(t *testing.T) {
	w := newWorld(t, false)
	w.aws.AddEKSAMI("us-east-1", "2019-core", "1.34")
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.34")
	w.aws.AddEKSAMI("us-east-1", "2025-core", "1.35")
	win := func(osVersion string) v1.Image {
		return registrytest.Image(t, "windows", "amd64", osVersion, registrytest.RandomLayer(t, 1<<10))
	}
	digest := map[string]string{}
	push := func(repoTag string, osVersions ...string) string {
		var imgs []v1.Image
		for _, o := range osVersions {
			img := win(o)
			digest[repoTag+"/"+o] = digestOf(t, img)
			imgs = append(imgs, img)
		}
		return w.reg.Push(t, repoTag, registrytest.Index(t, imgs...))
	}
	only2022 := push("team/only2022:1", "10.0.20348.2700", "10.0.20348.2762", build2019)
	all := push("team/all:1", build2019, build2022, build2025)
	only2025 := push("team/only2025:1", build2025)
	single2022 := w.ref("team/single:1") // one 2022 manifest, no index
	base := []string{w.ref("windows/servercore:ltsc")}

	for _, tc := range []struct {
		variant, k8s string
		refs         []string
		want         map[string]string // ref → os.version picked
		notes        int
		problem      string
	}{
		{"2025-core", "1.35", []string{only2022, all, single2022},
			map[string]string{only2022: "10.0.20348.2762", all: build2025, single2022: build2022}, 2, ""},
		{"2022-core", "1.34", []string{only2022, all},
			map[string]string{only2022: "10.0.20348.2762", all: build2022}, 0, ""},
		{"2019-core", "1.34", []string{only2022, all},
			map[string]string{only2022: build2019, all: build2019}, 0, ""},
		{"2022-core", "1.34", []string{only2025}, nil, 0,
			"has no variant for Windows build 10.0.20348 (ltsc2022); it has 10.0.26100 (ltsc2025)"},
		{"2019-core", "1.34", []string{single2022}, nil, 0,
			"is built for Windows 10.0.20348 (ltsc2022), which a 2019 node (build 10.0.17763) cannot run"},
	} {
		t.Run(tc.variant+" "+strings.Join(tc.refs, " "), func(t *testing.T) {
			p, err := w.planner(t, nil).Make(context.Background(), variantConfig(t, tc.variant, tc.k8s, base, tc.refs...))
			if tc.problem != "" {
				var problems plan.Problems
				if !errors.As(err, &problems) || len(problems) != 1 || !strings.Contains(problems[0], tc.problem) {
					t.Fatalf("err = %v, want %q", err, tc.problem)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			notes := 0
			for _, c := range p.Images[0].Cache {
				if c.OSVersion != tc.want[c.Ref] {
					t.Errorf("%s: picked %s, want %s", c.Ref, c.OSVersion, tc.want[c.Ref])
				}
				if c.Ref != single2022 && c.Digest != digest[strings.TrimPrefix(c.Ref, w.reg.Host+"/")+"/"+c.OSVersion] {
					t.Errorf("%s: digest %s is not the %s manifest", c.Ref, c.Digest, c.OSVersion)
				}
				if c.Note != "" {
					notes++
					if !strings.Contains(c.Note, "no variant for build 10.0.26100: the newest one a 2025 node runs is for 10.0.20348 (ltsc2022)") {
						t.Errorf("%s: note %q", c.Ref, c.Note)
					}
				}
			}
			if notes != tc.notes {
				t.Errorf("%d notes, want %d: %+v", notes, tc.notes, p.Images[0].Cache)
			}
			if tc.notes > 0 && !strings.Contains(report.PlanMarkdown(p), "10.0.20348.2762 (no variant for build 10.0.26100") {
				t.Errorf("the markdown plan does not say which variant was taken:\n%s", report.PlanMarkdown(p))
			}
		})
	}
}

// TestPlanWarnsOfUnreadableBaseImages: a base image that cannot be read
// does not fail the plan, but says so, since the savings are then too low.
func TestPlanWarnsOfUnreadableBaseImages(t *testing.T) {
	w := newWorld(t, false)
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.34")
	missing := w.ref("windows/nanoserver:ltsc2019")
	cfg := variantConfig(t, "2022-core", "1.34", []string{w.ref("windows/servercore:ltsc"), missing}, w.ref("team/app:1"))
	p, err := w.planner(t, nil).Make(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	img := p.Images[0]
	want := "base image " + missing + " could not be read (tag ltsc2019 not found in " + w.ref("windows/nanoserver") + " (or the repository does not exist)): its layers are counted as pulled"
	if len(img.Warnings) != 1 || !strings.HasPrefix(img.Warnings[0], want) {
		t.Fatalf("warnings %q, want one starting %q", img.Warnings, want)
	}
	if len(img.BaseImages) != 1 || img.Cache[0].BaseBytes == 0 {
		t.Errorf("the readable base image is not counted: %+v", img)
	}
	if md := report.PlanMarkdown(p); !strings.Contains(md, "**Warning:** "+want) {
		t.Errorf("markdown lacks the warning:\n%s", md)
	}
}

// TestDefaultBaseImages: Microsoft tags Nano Server 2019 "1809".
func TestDefaultBaseImages(t *testing.T) {
	for variant, want := range map[string][]string{
		"2019-core": {"mcr.microsoft.com/windows/servercore:ltsc2019", "mcr.microsoft.com/windows/nanoserver:1809"},
		"2022-full": {"mcr.microsoft.com/windows/servercore:ltsc2022", "mcr.microsoft.com/windows/nanoserver:ltsc2022"},
		"2025-core": {"mcr.microsoft.com/windows/servercore:ltsc2025", "mcr.microsoft.com/windows/nanoserver:ltsc2025"},
	} {
		got := plan.BaseImagesOf(config.Image{Windows: variant})
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s: %v, want %v", variant, got, want)
		}
	}
}

// TestDefaultShowsThePoint plans the embedded default against local
// copies of its registries: none of its images is one the stock EKS AMI
// holds (servercore, nanoserver and pause of its build), so every one of
// them spares a new node a pull.
func TestDefaultShowsThePoint(t *testing.T) {
	cfg, err := config.Parse("(default)", config.DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	img := cfg.Images[0]
	onAMI := append(plan.BaseImagesOf(img), "mcr.microsoft.com/oss/kubernetes/pause:3.9")
	for _, ref := range img.Cache {
		for _, held := range onAMI {
			if strings.SplitN(ref, ":", 2)[0] == strings.SplitN(held, ":", 2)[0] {
				t.Errorf("the default caches %s, which the stock AMI holds already", ref)
			}
		}
	}

	// The same repositories and tags, served locally: a base layer the
	// AMI's servercore holds, and layers of each image's own.
	mcr, ecrPublic := registrytest.Start(t, false), registrytest.Start(t, false)
	aws := newWorld(t, false).aws
	aws.AddEKSAMI("us-east-1", img.Windows, img.Kubernetes)
	baseLayer := registrytest.RandomLayer(t, 256<<10)
	win := func(layers ...v1.Layer) v1.ImageIndex {
		return registrytest.Index(t, registrytest.Image(t, "windows", "amd64", build2022, layers...))
	}
	mcr.Push(t, "windows/servercore:ltsc2022", win(baseLayer))
	mcr.Push(t, "windows/nanoserver:ltsc2022", win(registrytest.RandomLayer(t, 32<<10)))
	for _, ref := range img.Cache {
		host, repoTag, _ := strings.Cut(ref, "/")
		r := map[string]*registrytest.Registry{"mcr.microsoft.com": mcr, "public.ecr.aws": ecrPublic}[host]
		if r == nil {
			t.Fatalf("no local copy of %s", host)
		}
		r.Push(t, repoTag, win(baseLayer, registrytest.RandomLayer(t, 64<<10)))
	}
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	w := &world{aws: aws}
	p, err := w.planner(t, ecrRedirect{"mcr.microsoft.com": mcr.Host, "public.ecr.aws": ecrPublic.Host}).Make(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ip := p.Images[0]
	if len(ip.Warnings) != 0 || len(ip.BaseImages) != 2 {
		t.Errorf("base images %v, warnings %v", ip.BaseImages, ip.Warnings)
	}
	for _, c := range ip.Cache {
		if c.PullBytes == 0 {
			t.Errorf("%s spares no pull: %+v", c.Ref, c)
		}
	}
	if ip.Totals.Pull == 0 || ip.Totals.Base == 0 {
		t.Errorf("totals %+v: the default shows no saving", ip.Totals)
	}
}

// TestPlanTakesImagesWithoutOSVersion: containerd matches a Windows
// manifest that declares no os.version on every Windows host
// (github.com/containerd/platforms, windowsVersionMatcher.Match; "HPC
// containers do not have OS version filled" in v0.2) and sorts it after
// those that declare one. The plan takes it when nothing else fits, and
// says what the node needs of it.
func TestPlanTakesImagesWithoutOSVersion(t *testing.T) {
	w := newWorld(t, false)
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.34")
	w.aws.AddEKSAMI("us-east-1", "2025-core", "1.35")
	bare := registrytest.Image(t, "windows", "amd64", "", registrytest.RandomLayer(t, 1<<10))
	linux := registrytest.Image(t, "linux", "amd64", "", registrytest.RandomLayer(t, 1<<10))
	versioned := registrytest.Image(t, "windows", "amd64", build2022, registrytest.RandomLayer(t, 1<<10))
	unversioned := w.reg.Push(t, "team/hpc:1", registrytest.Index(t, linux, bare))
	mixed := w.reg.Push(t, "team/mixed:1", registrytest.Index(t, bare, versioned))
	single := w.reg.Push(t, "team/single-hpc:1", bare)
	base := []string{w.ref("windows/servercore:ltsc"), single}

	for variant, want := range map[string]string{
		"2022-core": "runs only if built for 10.0.20348 (ltsc2022)",
		"2025-core": "runs only if built for a build from 10.0.20348 (ltsc2022) to 10.0.26100 (ltsc2025)",
	} {
		k8s := map[string]string{"2022-core": "1.34", "2025-core": "1.35"}[variant]
		p, err := w.planner(t, nil).Make(context.Background(), variantConfig(t, variant, k8s, base, unversioned, mixed, single))
		if err != nil {
			t.Fatalf("%s: %v", variant, err)
		}
		// The AMI's base images are those of its build: one that declares
		// none cannot be counted as on the AMI.
		warned := false
		for _, w := range p.Images[0].Warnings {
			warned = warned || strings.HasPrefix(w, "base image "+single+" declares no Windows build (os.version)")
		}
		if !warned {
			t.Errorf("%s: warnings %q", variant, p.Images[0].Warnings)
		}
		for _, c := range p.Images[0].Cache {
			switch c.Ref {
			case mixed:
				if c.Digest != digestOf(t, versioned) {
					t.Errorf("%s: %s: took %s (%q), want the manifest that declares its build", variant, c.Ref, c.Digest, c.OSVersion)
				}
			default:
				if c.Digest != digestOf(t, bare) || c.OSVersion != "" {
					t.Errorf("%s: %s: took %s (%q), want the Windows manifest without os.version", variant, c.Ref, c.Digest, c.OSVersion)
				}
				if !strings.Contains(c.Note, "declares no Windows build (os.version)") || !strings.Contains(c.Note, want) {
					t.Errorf("%s: %s: note %q, want one saying it %s", variant, c.Ref, c.Note, want)
				}
			}
		}
	}
}
