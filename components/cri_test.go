package components_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/testing/containerd"
	"github.com/winbake/winbake/internal/testing/registrytest"
	"github.com/winbake/winbake/internal/windows"
)

// TestCachedImagesResolveThroughCRI runs the ctr calls of cache-images.ps1,
// generated from the data the script receives, against a real containerd
// of each line the EKS Windows AMIs run, with images from a real registry,
// and then asks CRI what kubelet would: does a pod naming the tag, the
// platform-manifest digest or the index digest find the image, and is it
// pinned against image GC?
func TestCachedImagesResolveThroughCRI(t *testing.T) {
	// A private registry that checks credentials as ECR does (user AWS and
	// a token), and a public one.
	reg, public := registrytest.Start(t, true), registrytest.Start(t, false)
	// An index as Microsoft publishes them: one Windows manifest per build,
	// plus a Linux one; and an image with no index at all.
	app := registrytest.Index(t,
		registrytest.Image(t, "windows", "amd64", "10.0.17763.6532", tarLayer(t, "Files/app-1809.txt")),
		registrytest.Image(t, "windows", "amd64", "10.0.20348.2849", tarLayer(t, "Files/app-ltsc2022.txt")),
		registrytest.Image(t, "linux", "amd64", "", tarLayer(t, "app-linux.txt")),
	)
	appRef := reg.Push(t, "team/app:1.0", app)
	toolRef := public.Push(t, "team/tool:2", registrytest.Image(t, "windows", "amd64", "10.0.20348.2849", tarLayer(t, "Files/tool.txt")))

	// The plan resolves each reference for the node's build, as winbake
	// plan does; the scripts' data comes from it through PinsOf.
	resolver, err := registry.New(registry.Options{Keychain: staticKeychain{reg.Auth()}})
	if err != nil {
		t.Fatal(err)
	}
	v, _ := windows.Lookup("2022-core")
	img := config.Image{Name: "win2022", Regions: []string{"eu-west-1"}, Cache: []string{appRef, toolRef}}
	ip := plan.Image{Name: img.Name}
	for _, ref := range img.Cache {
		r, err := resolver.Resolve(context.Background(), ref, v)
		if err != nil {
			t.Fatalf("resolving %s: %v", ref, err)
		}
		ip.Cache = append(ip.Cache, plan.CacheImage{Image: r})
	}
	if ip.Cache[0].IndexDigest == "" || ip.Cache[1].IndexDigest != "" {
		t.Fatalf("the plan should find an index for the app only: %+v", ip.Cache)
	}
	images, err := components.CacheImagesOf(img, components.PinsOf(img, ip))
	if err != nil {
		t.Fatal(err)
	}
	// Mark the app as an ECR image, so its pull carries --user as the
	// script's does.
	images[0].ECRRegion = "eu-west-1"
	password := func(region string) string { return registrytest.ECRPassword }
	calls := components.CtrCommands(images, true, password)

	for _, line := range containerd.Lines {
		t.Run("containerd-"+line, func(t *testing.T) {
			d := containerd.Start(t, line)
			for _, ci := range images {
				for _, name := range ci.Names() {
					if _, ok, err := d.ImageStatus(name); err != nil || ok {
						t.Fatalf("%s is known before caching (ok=%v, err=%v)", name, ok, err)
					}
				}
			}
			// AWSTOE's maxAttempts runs the step again: the calls must
			// succeed a second time as well.
			for round := 1; round <= 2; round++ {
				for _, call := range calls {
					out, err := d.Ctr(call...)
					if err != nil {
						t.Fatalf("round %d: ctr %s: %v\n%s", round, strings.Join(redact(call), " "), err, out)
					}
					if strings.Contains(out, registrytest.ECRPassword) {
						t.Errorf("ctr %s printed the ECR password:\n%s", call[2], out)
					}
				}
			}
			for i, ci := range images {
				assertCached(t, d, ci.Tag, podNames(img.Cache[i], ip.Cache[i].Image))
			}
			// verify-images.ps1 reads `ctr images ls`: each name first on
			// its line, with the pinned label on the same line.
			listing, err := d.Ctr("-n", components.CtrNamespace, "images", "ls")
			if err != nil {
				t.Fatal(err)
			}
			for _, ci := range images {
				for _, name := range ci.Names() {
					if !hasListingLine(listing, name) {
						t.Errorf("ctr images ls has no pinned line for %s:\n%s", name, listing)
					}
				}
			}
			// A wrong token fails the pull, and neither ctr nor containerd
			// repeat it; nor does containerd log the right one.
			out, err := d.Ctr("-n", components.CtrNamespace, "images", "pull", "--user", "AWS:wrong-token-value", images[0].Pull)
			if err == nil || strings.Contains(out, "wrong-token-value") {
				t.Errorf("pull with a wrong token: err=%v, output:\n%s", err, out)
			}
			if logs := d.Logs(); strings.Contains(logs, registrytest.ECRPassword) || strings.Contains(logs, "wrong-token-value") {
				t.Error("containerd logged an ECR token")
			}
			// The readiness probe the script waits on fails while nothing
			// answers.
			if out, err := d.CtrAt(d.Socket+".absent", calls[0]...); err == nil {
				t.Errorf("ctr %v succeeded with no containerd:\n%s", calls[0], out)
			}
		})
	}
}

// podNames are the names a pod may give an image: its tag, its
// platform-manifest digest and, when the tag names an index, the index
// digest (what kubelet records when it pulls by tag).
func podNames(ref string, r registry.Image) []string {
	repo := ref[:strings.LastIndex(ref, ":")]
	names := []string{ref, repo + "@" + r.Digest}
	if r.IndexDigest != "" {
		names = append(names, repo+"@"+r.IndexDigest)
	}
	return names
}

// assertCached checks every name through CRI: found, one image, pinned,
// and listed as kubelet lists it (tags and repo digests).
func assertCached(t *testing.T, d *containerd.Daemon, tag string, names []string) {
	t.Helper()
	var id string
	for _, name := range names {
		var got containerd.Image
		// CRI follows containerd's image events asynchronously.
		deadline := time.Now().Add(5 * time.Second)
		for {
			img, ok, err := d.ImageStatus(name)
			if err != nil {
				t.Fatal(err)
			}
			if ok && img.Pinned {
				got = img
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("containerd %s: CRI ImageStatus(%s) found=%v pinned=%v; a pod naming it would pull again", d.Line, name, ok, img.Pinned)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if id != "" && got.ID != id {
			t.Errorf("%s is image %s, another name of it is %s", name, got.ID, id)
		}
		id = got.ID
		if !slices.Contains(got.RepoTags, tag) {
			t.Errorf("%s: repoTags %v lack %s", name, got.RepoTags, tag)
		}
		for _, digested := range names[1:] {
			if !slices.Contains(got.RepoDigests, digested) {
				t.Errorf("%s: repoDigests %v lack %s", name, got.RepoDigests, digested)
			}
		}
	}
}

func hasListingLine(listing, name string) bool {
	for _, l := range strings.Split(listing, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == name && strings.Contains(l, components.PinnedLabel) {
			return true
		}
	}
	return false
}

func redact(call []string) []string {
	out := slices.Clone(call)
	for i, a := range out {
		if strings.HasPrefix(a, "AWS:") {
			out[i] = "AWS:********"
		}
	}
	return out
}

// tarLayer is a gzipped tar layer holding one file, as containerd unpacks
// (a layer of random bytes would not unpack).
func tarLayer(t *testing.T, file string) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	body := []byte("winbake test layer " + file + " " + time.Now().String())
	if err := tw.WriteHeader(&tar.Header{Name: file, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(body)
	tw.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }
