package imagecache

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	packersdk "github.com/hashicorp/packer-plugin-sdk/packer"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
)

// recorder keeps every upload; the SDK's mock keeps only the last.
type recorder struct {
	packersdk.MockCommunicator
	uploads map[string]string
}

func (r *recorder) Upload(dst string, src io.Reader, fi *os.FileInfo) error {
	b, _ := io.ReadAll(src)
	if r.uploads == nil {
		r.uploads = map[string]string{}
	}
	r.uploads[dst] = string(b)
	return nil
}

func provision(t *testing.T, raw map[string]any, stdout string, exit int) (*recorder, *packersdk.MockUi, error) {
	t.Helper()
	var p Provisioner
	if err := p.Prepare(raw); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	comm := &recorder{MockCommunicator: packersdk.MockCommunicator{StartStdout: stdout, StartExitStatus: exit}}
	ui := &packersdk.MockUi{}
	err := p.Provision(context.Background(), ui, comm, nil)
	return comm, ui, err
}

func TestProvisionSucceeds(t *testing.T) {
	comm, ui, err := provision(t, map[string]any{
		"images":       []string{"mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:" + strings.Repeat("a", 64), "nginx"},
		"max_attempts": 7, "retry_delay": "30s", "pin": false,
	}, "winbake: cached x in 3s\nWINBAKE-CACHE-COMPLETE 2\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	want := `powershell -NoProfile -NonInteractive -ExecutionPolicy Bypass -File "C:/Windows/Temp/winbake/cache-images.ps1" -ImagesFile "C:/Windows/Temp/winbake/images.json" -MaxAttempts 7 -InitialDelaySeconds 30 -Pin 0`
	if comm.StartCmd.Command != want {
		t.Errorf("command:\n got %s\nwant %s", comm.StartCmd.Command, want)
	}
	if comm.uploads["C:/Windows/Temp/winbake/cache-images.ps1"] != components.Script(components.CacheScript) {
		t.Error("the uploaded script is not components/scripts/cache-images.ps1")
	}
	var list []components.CacheImage
	if err := json.Unmarshal([]byte(comm.uploads["C:/Windows/Temp/winbake/images.json"]), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Pull != "mcr.microsoft.com/windows/nanoserver@sha256:"+strings.Repeat("a", 64) || list[0].Tag != "mcr.microsoft.com/windows/nanoserver:ltsc2022" || list[1].Tag != "docker.io/library/nginx:latest" {
		t.Errorf("image list: %+v", list)
	}
	var said []string
	for _, m := range ui.SayMessages {
		said = append(said, m.Message)
	}
	if got := strings.Join(said, "\n"); !strings.Contains(got, "\nwinbake: cached x in 3s\n") || !strings.HasSuffix(got, "\nCached 2 images") {
		t.Errorf("ui:\n%s", got)
	}
}

func TestProvisionFailures(t *testing.T) {
	raw := map[string]any{"images": []string{"nginx"}}
	_, _, err := provision(t, raw, "winbake: pull failed\nWINBAKE-CACHE-FAILED docker.io/library/nginx:latest\n", 1)
	if err == nil || !strings.Contains(err.Error(), "caching docker.io/library/nginx:latest failed (exit code 1)") {
		t.Errorf("failed pull: %v", err)
	}
	_, _, err = provision(t, raw, "winbake: [1/1] pulling nginx\n", 0)
	if err == nil || !strings.Contains(err.Error(), "exited 0 without its completion marker WINBAKE-CACHE-COMPLETE") {
		t.Errorf("killed script: %v", err)
	}
	_, _, err = provision(t, raw, "WINBAKE-CACHE-COMPLETE 1\n", 3)
	if err == nil || !strings.Contains(err.Error(), "exited with code 3") {
		t.Errorf("marker but bad exit: %v", err)
	}
}

func TestPrepareErrors(t *testing.T) {
	dir := t.TempDir()
	planFile := filepath.Join(dir, "plan.json")
	p := &plan.Plan{Version: plan.FormatVersion, Images: []plan.Image{{Name: "win", Windows: "2019-core", Build: "10.0.17763",
		Cache: []plan.CacheImage{{Image: registry.Image{Ref: "nginx", Digest: "sha256:" + strings.Repeat("b", 64), IndexDigest: "sha256:" + strings.Repeat("c", 64)}}}}}}
	if err := p.Write(planFile); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		raw  map[string]any
		want string
	}{
		{map[string]any{"images": []string{"nginx"}, "imagez": 1}, "imagez"},
		{map[string]any{}, "images: nothing to cache"},
		{map[string]any{"images": []string{"foo bar"}}, `images[0]: "foo bar" is not an image reference`},
		{map[string]any{"plan_file": planFile, "windows_variant": "2022-core"}, "pinned win for Windows build 10.0.17763, but the instance is 2022-core (build 10.0.20348)"},
		{map[string]any{"plan_file": planFile, "image_name": "other"}, `has no image "other"`},
		{map[string]any{"images": []string{"nginx"}, "windows_variant": "2022"}, `windows_variant: "2022" is not a Windows variant; expected one of 2019-core, 2019-full, 2022-core`},
		{map[string]any{"images": []string{"nginx"}, "max_attempts": 99}, "max_attempts: 99 is out of range"},
		{map[string]any{"images": []string{"nginx"}, "index_digests": map[string]string{"nginx:1.27": "sha256:" + strings.Repeat("c", 64)}}, `index_digests: "nginx:1.27" is not one of images`},
		{map[string]any{"images": []string{"nginx"}, "index_digests": map[string]string{"nginx": "md5:abc"}}, `index digest "md5:abc" is not a sha256 digest`},
	} {
		var prov Provisioner
		err := prov.Prepare(tc.raw)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want %q", tc.raw, err, tc.want)
		}
	}
	var prov Provisioner
	if err := prov.Prepare(map[string]any{"plan_file": planFile, "windows_variant": "2019-full"}); err != nil {
		t.Errorf("a plan of the same build: %v", err)
	}
	if len(prov.images) != 1 || prov.images[0].Pull != "docker.io/library/nginx@sha256:"+strings.Repeat("b", 64) || prov.images[0].Index != "docker.io/library/nginx@sha256:"+strings.Repeat("c", 64) {
		t.Errorf("images from the plan: %+v", prov.images)
	}
}

// TestIndexDigestsNameTheIndex: the Packer path gives a cached image the
// name of the index its tag named, as the Image Builder path does, so that
// pods pinned to the index digest (what kubelet records when it pulls by
// tag) find it.
func TestIndexDigestsNameTheIndex(t *testing.T) {
	pinned := "mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022@sha256:" + strings.Repeat("a", 64)
	comm, _, err := provision(t, map[string]any{
		"images":        []string{pinned, "nginx"},
		"index_digests": map[string]string{pinned: "sha256:" + strings.Repeat("b", 64)},
	}, "WINBAKE-CACHE-COMPLETE 2\n", 0)
	if err != nil {
		t.Fatal(err)
	}
	var list []components.CacheImage
	if err := json.Unmarshal([]byte(comm.uploads["C:/Windows/Temp/winbake/images.json"]), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Index != "mcr.microsoft.com/dotnet/aspnet@sha256:"+strings.Repeat("b", 64) || list[1].Index != "" {
		t.Errorf("image list: %+v", list)
	}
}

// TestSameNamesAsImageBuilder: the variables winbake writes for Packer,
// through the template's cache_images and cache_index_digests into this
// provisioner, give the node exactly the images and names that the Image
// Builder component gives it from the same plan.
func TestSameNamesAsImageBuilder(t *testing.T) {
	cfg, err := config.Parse("winbake.yaml", []byte(`images:
  - name: win
    kubernetes: "1.34"
    windows: 2022-core
    regions: [eu-west-1]
    cache:
      - 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1.0
      - nginx
      - mcr.microsoft.com/windows/nanoserver:ltsc2022
      - "mcr.microsoft.com/dotnet/aspnet:8.0-nanoserver-ltsc2022@sha256:`+strings.Repeat("1", 64)+`"
`))
	if err != nil {
		t.Fatal(err)
	}
	img := cfg.Images[0]
	pins := components.Pins{
		Digests: map[string]string{img.Cache[0]: "sha256:" + strings.Repeat("2", 64), img.Cache[1]: "sha256:" + strings.Repeat("3", 64)},
		Indexes: map[string]string{img.Cache[0]: "sha256:" + strings.Repeat("4", 64), img.Cache[1]: "sha256:" + strings.Repeat("5", 64), img.Cache[3]: "sha256:" + strings.Repeat("6", 64)},
	}
	want, err := components.CacheImagesOf(img, pins)
	if err != nil {
		t.Fatal(err)
	}
	data, err := components.NewPackerVars(cfg, img, "", pins.Digests, pins.Indexes)
	if err != nil {
		t.Fatal(err)
	}
	var vars components.PackerVars
	if err := json.Unmarshal(data, &vars); err != nil {
		t.Fatal(err)
	}
	var p Provisioner
	if err := p.Prepare(map[string]any{"images": vars.CacheImages, "index_digests": vars.CacheIndexDigests}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, p.images); diff != "" {
		t.Errorf("the Packer path caches other names than the Image Builder path (-imagebuilder +packer):\n%s", diff)
	}
}
