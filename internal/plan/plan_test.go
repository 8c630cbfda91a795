package plan_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/ecr"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/registrytest"
	"github.com/winbake/winbake/internal/windows"
)

const (
	build2019 = "10.0.17763.6414"
	build2022 = "10.0.20348.2762"
)

// world is a registry holding Windows-shaped images and a fake AWS with
// EKS AMIs, as a plan sees them.
type world struct {
	reg      *registrytest.Registry
	aws      *awsfake.Server
	base2022 v1.Layer
	digests  map[string]string // ref → windows 2022 manifest digest
	sizes    map[string]int64
}

func digestOf(t *testing.T, img v1.Image) string {
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func newWorld(t *testing.T, auth bool) *world {
	w := &world{reg: registrytest.Start(t, auth), aws: awsfake.Start(t), digests: map[string]string{}, sizes: map[string]int64{}}
	// Base layers: what servercore and nanoserver of each build hold.
	w.base2022 = registrytest.RandomLayer(t, 300<<10)
	base2019 := registrytest.RandomLayer(t, 280<<10)
	nano2022 := registrytest.RandomLayer(t, 60<<10)
	shared := registrytest.RandomLayer(t, 40<<10) // a runtime layer two apps share

	push := func(repoTag string, imgs ...v1.Image) string {
		ref := w.reg.Push(t, repoTag, registrytest.Index(t, imgs...))
		for _, img := range imgs {
			cf, _ := img.ConfigFile()
			if cf.OS == "windows" && windows.BuildOf(cf.OSVersion) == "10.0.20348" {
				w.digests[ref] = digestOf(t, img)
				m, _ := img.Manifest()
				for _, l := range m.Layers {
					w.sizes[ref] += l.Size
				}
			}
		}
		return ref
	}
	win := func(osVersion string, layers ...v1.Layer) v1.Image {
		return registrytest.Image(t, "windows", "amd64", osVersion, layers...)
	}
	push("windows/servercore:ltsc", win(build2019, base2019), win(build2022, w.base2022))
	push("windows/nanoserver:ltsc", win(build2022, nano2022))
	push("team/app:1", win(build2019, base2019, shared), win(build2022, w.base2022, shared, registrytest.RandomLayer(t, 20<<10)))
	push("team/worker:2", win(build2022, w.base2022, shared, registrytest.RandomLayer(t, 30<<10)))
	push("linux/only:1", registrytest.Image(t, "linux", "amd64", "", registrytest.RandomLayer(t, 1<<10)))
	push("old/app:2019", win(build2019, base2019))
	// A single-manifest image, without an index, for 2022.
	single := win(build2022, w.base2022, registrytest.RandomLayer(t, 10<<10))
	ref := w.reg.Push(t, "team/single:1", single)
	w.digests[ref] = digestOf(t, single)
	return w
}

func (w *world) ref(repoTag string) string { return w.reg.Host + "/" + repoTag }

func (w *world) planner(t testing.TB, rt http.RoundTripper) *plan.Planner {
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res, err := registry.New(registry.Options{
		ECR:       &ecr.Keychain{Client: func(r string) ecr.TokenAPI { return clients.ECR(r) }},
		Transport: rt,
	})
	if err != nil {
		t.Fatal(err)
	}
	return &plan.Planner{
		SSM:      func(r string) plan.SSMAPI { return clients.SSM(r) },
		EC2:      func(r string) plan.EC2API { return clients.EC2(r) },
		Resolver: res,
	}
}

func (w *world) config(t *testing.T, k8s string, cache ...string) *config.Config {
	t.Helper()
	y := "images:\n  - name: win\n    kubernetes: \"" + k8s + "\"\n    windows: 2022-core\n    regions: [us-east-1, eu-west-1]\n" +
		"    baseImages: [" + w.ref("windows/servercore:ltsc") + ", " + w.ref("windows/nanoserver:ltsc") + "]\n    cache:\n"
	for _, c := range cache {
		y += "      - " + c + "\n"
	}
	cfg, err := config.Parse("winbake.yaml", []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestPlanPinsMatchesAndSizes(t *testing.T) {
	w := newWorld(t, false)
	east := w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	west := w.aws.AddEKSAMI("eu-west-1", "2022-core", "1.31")
	app, worker, single := w.ref("team/app:1"), w.ref("team/worker:2"), w.ref("team/single:1")

	p, err := w.planner(t, nil).Make(context.Background(), w.config(t, "1.31", app, worker, single))
	if err != nil {
		t.Fatal(err)
	}
	img := p.Images[0]
	if img.Build != "10.0.20348" || img.SSMParameter != "/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id" {
		t.Errorf("image = %+v", img)
	}
	gotAMIs := map[string]string{}
	for _, b := range img.BaseAMIs {
		gotAMIs[b.Region] = b.AMI
		if !strings.HasPrefix(b.Name, "Windows_Server-2022-English-Core-EKS_Optimized-1.31-") || b.Created == "" {
			t.Errorf("base AMI %+v lacks its name or date", b)
		}
	}
	if diff := cmp.Diff(map[string]string{"us-east-1": east, "eu-west-1": west}, gotAMIs); diff != "" {
		t.Errorf("base AMIs (-want +got):\n%s", diff)
	}
	for _, c := range img.Cache {
		if c.Digest != w.digests[c.Ref] {
			t.Errorf("%s pinned to %s, want the 2022 manifest %s", c.Ref, c.Digest, w.digests[c.Ref])
		}
		if windows.BuildOf(c.OSVersion) != "10.0.20348" {
			t.Errorf("%s: os.version %s", c.Ref, c.OSVersion)
		}
	}
	byRef := map[string]plan.CacheImage{}
	for _, c := range img.Cache {
		byRef[c.Ref] = c
	}
	if byRef[app].IndexDigest == "" || byRef[single].IndexDigest != "" {
		t.Errorf("index digests: app %q (want set), single %q (want empty)", byRef[app].IndexDigest, byRef[single].IndexDigest)
	}
	baseSize, _ := w.base2022.Size()
	for _, ref := range []string{app, worker, single} {
		if byRef[ref].BaseBytes != baseSize {
			t.Errorf("%s: base bytes %d, want %d (the servercore layer)", ref, byRef[ref].BaseBytes, baseSize)
		}
		if byRef[ref].Size != w.sizes[ref] && ref != single {
			t.Errorf("%s: size %d, want %d", ref, byRef[ref].Size, w.sizes[ref])
		}
	}
	if diff := cmp.Diff([]string{worker}, byRef[app].SharedWith); diff != "" {
		t.Errorf("app shares with (-want +got):\n%s", diff)
	}
	if len(byRef[single].SharedWith) != 0 || byRef[single].SharedBytes != 0 {
		t.Errorf("single shares %v", byRef[single])
	}
	// Each layer counted once: everything less the base, and the shared
	// layer once.
	var want int64
	for _, c := range img.Cache {
		want += c.Size - c.BaseBytes
	}
	want -= byRef[worker].SharedBytes
	if img.Totals.Pull != want || img.Totals.Base != baseSize {
		t.Errorf("totals %+v, want pull %d and base %d", img.Totals, want, baseSize)
	}
	if sum := byRef[app].PullBytes + byRef[worker].PullBytes + byRef[single].PullBytes; sum != img.Totals.Pull {
		t.Errorf("per-image pull bytes add up to %d, total is %d", sum, img.Totals.Pull)
	}
}

func TestPlanReportsEveryProblem(t *testing.T) {
	w := newWorld(t, false)
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31") // none in eu-west-1
	empty := registrytest.Start(t, false).Host
	cfg := w.config(t, "1.31",
		w.ref("team/app:1"),
		w.ref("team/app:nope"),
		w.ref("linux/only:1"),
		w.ref("old/app:2019"),
		w.ref("missing/repo:1"),
		"127.0.0.1:1/nothing/listens:here",
		empty+"/x:1",
	)
	_, err := w.planner(t, nil).Make(context.Background(), cfg)
	var problems plan.Problems
	if !errors.As(err, &problems) {
		t.Fatalf("err = %v, want Problems", err)
	}
	want := []string{
		"win: 127.0.0.1:1/nothing/listens:here: registry 127.0.0.1:1 is unreachable",
		"win: " + empty + "/x:1: tag 1 not found in " + empty + "/x (or the repository does not exist)",
		"win: base AMI in eu-west-1: SSM parameter /aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id does not exist in eu-west-1",
		"win: " + w.ref("linux/only:1") + ": has no windows/amd64 variant (platforms: linux/amd64)",
		"win: " + w.ref("missing/repo:1") + ": tag 1 not found in " + w.ref("missing/repo"),
		"win: " + w.ref("old/app:2019") + ": has no variant for Windows build 10.0.20348 (ltsc2022); it has 10.0.17763 (ltsc2019)",
		"win: " + w.ref("team/app:nope") + ": tag nope not found in " + w.ref("team/app"),
	}
	if len(problems) != len(want) {
		t.Fatalf("got %d problems, want %d:\n%v", len(problems), len(want), err)
	}
	for _, wl := range want {
		found := false
		for _, p := range problems {
			found = found || strings.HasPrefix(p, wl)
		}
		if !found {
			t.Errorf("no problem starts with %q; got:\n%v", wl, err)
		}
	}
}

func TestPlanAuth(t *testing.T) {
	w := newWorld(t, true)
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	w.aws.AddEKSAMI("eu-west-1", "2022-core", "1.31")
	cfg := w.config(t, "1.31", w.ref("team/app:1"))

	// No credentials: 401 names the registry and says how to log in.
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	_, err := w.planner(t, nil).Make(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "not authorized by "+w.reg.Host+": log in to it (docker login "+w.reg.Host+")") {
		t.Fatalf("err = %v, want a 401 explained", err)
	}
	if strings.Contains(err.Error(), w.reg.Password) {
		t.Fatal("the error shows the password")
	}

	// The user's docker config has the credentials.
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte(w.reg.User + ":" + w.reg.Password))
	cfgJSON, _ := json.Marshal(map[string]any{"auths": map[string]any{w.reg.Host: map[string]string{"auth": auth}}})
	if err := os.WriteFile(filepath.Join(dir, "config.json"), cfgJSON, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	p, err := w.planner(t, nil).Make(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Images[0].Cache[0].Digest; got != w.digests[w.ref("team/app:1")] {
		t.Errorf("digest %s", got)
	}
}

// ecrRedirect sends requests for ECR hosts to local registries, so the ECR
// token path runs for real against a registry that checks the token.
type ecrRedirect map[string]string

func (r ecrRedirect) RoundTrip(req *http.Request) (*http.Response, error) {
	if to, ok := r[req.URL.Host]; ok {
		req = req.Clone(req.Context())
		req.URL.Scheme, req.URL.Host = "http", to
	}
	return http.DefaultTransport.RoundTrip(req)
}

func TestPlanECR(t *testing.T) {
	w := newWorld(t, true)
	other := registrytest.StartWithECRPassword(t, true, "another-accounts-password")
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	w.aws.AddEKSAMI("eu-west-1", "2022-core", "1.31")
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	ours := awsfake.Account + ".dkr.ecr.eu-west-1.amazonaws.com"
	theirs := "999999999999.dkr.ecr.eu-west-1.amazonaws.com"
	other.Push(t, "team/app:1", registrytest.Index(t, registrytest.Image(t, "windows", "amd64", build2022, w.base2022)))
	otherRT := ecrRedirect{ours: w.reg.Host, theirs: other.Host}
	cfg := w.config(t, "1.31", ours+"/team/app:1", theirs+"/team/app:1")

	p, err := w.planner(t, otherRT).Make(context.Background(), cfg)
	if err == nil {
		t.Fatalf("the other account's repository was read: %+v", p)
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 1 || !strings.Contains(lines[0], theirs+"/team/app:1: not authorized by "+theirs+": the ECR token of this account was refused; if the repository belongs to another account, its repository policy must allow this account to pull") {
		t.Errorf("err = %v", err)
	}
	if n := w.aws.CountCalls("ecr:GetAuthorizationToken"); n != 1 {
		t.Errorf("%d ECR token calls, want 1 (cached per region)", n)
	}
	if strings.Contains(err.Error(), registrytest.ECRPassword) {
		t.Error("the error shows the ECR token")
	}
}

func TestPlanFileRoundTrip(t *testing.T) {
	w := newWorld(t, false)
	w.aws.AddEKSAMI("us-east-1", "2022-core", "1.31")
	w.aws.AddEKSAMI("eu-west-1", "2022-core", "1.31")
	p, err := w.planner(t, nil).Make(context.Background(), w.config(t, "1.31", w.ref("team/app:1")))
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "plan.json")
	if err := p.Write(f); err != nil {
		t.Fatal(err)
	}
	back, err := plan.Read(f)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(p, back); diff != "" {
		t.Errorf("plan.json round trip (-want +got):\n%s", diff)
	}
	os.WriteFile(f, []byte(`{"version": 7}`), 0o644)
	if _, err := plan.Read(f); err == nil || !strings.Contains(err.Error(), "version 7") {
		t.Errorf("err = %v", err)
	}
}
