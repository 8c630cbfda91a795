// Package registry resolves container image references to the manifest
// that fits a Windows node: it reads only indexes, manifests and, when an
// image has no index, its config; never a layer.
package registry

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/winbake/winbake/internal/ecr"
	"github.com/winbake/winbake/internal/windows"
)

// Layer is one compressed layer of an image.
type Layer struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
}

// Image is a reference resolved for one Windows build.
type Image struct {
	Ref string `json:"ref"`
	// IndexDigest is the digest the tag points at when it is an index.
	IndexDigest string `json:"indexDigest,omitempty"`
	// Digest is the windows/amd64 manifest for the build: what is pulled.
	Digest    string  `json:"digest"`
	OSVersion string  `json:"osVersion"`
	Layers    []Layer `json:"layers"`
}

// Size is the compressed size of all layers.
func (i Image) Size() int64 {
	var n int64
	for _, l := range i.Layers {
		n += l.Size
	}
	return n
}

// Resolver resolves references against registries.
type Resolver struct {
	puller *remote.Puller
}

// Options configure a Resolver.
type Options struct {
	// Keychain supplies credentials; default: ECR tokens (when ECR is set),
	// then the user's docker config, then anonymous.
	Keychain authn.Keychain
	// ECR fetches tokens for private ECR registries.
	ECR *ecr.Keychain
	// Transport carries the HTTP requests (default: http.DefaultTransport).
	Transport http.RoundTripper
}

// New makes a Resolver.
func New(o Options) (*Resolver, error) {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
		if o.ECR != nil {
			kc = authn.NewMultiKeychain(o.ECR, authn.DefaultKeychain)
		}
	}
	opts := []remote.Option{remote.WithAuthFromKeychain(kc), remote.WithUserAgent("winbake")}
	if o.Transport != nil {
		opts = append(opts, remote.WithTransport(o.Transport))
	}
	p, err := remote.NewPuller(opts...)
	if err != nil {
		return nil, err
	}
	return &Resolver{puller: p}, nil
}

// Resolve finds the windows/amd64 manifest of ref whose os.version is of
// the given Windows build, and returns its digest and layers.
func (r *Resolver) Resolve(ctx context.Context, ref string, v windows.Variant) (Image, error) {
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return Image{}, fmt.Errorf("not an image reference: %w", err)
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.Reuse(r.puller)}
	desc, err := remote.Get(parsed, opts...)
	if err != nil {
		return Image{}, explain(parsed, err)
	}
	img := Image{Ref: ref}
	if desc.MediaType.IsIndex() {
		idx, err := v1.ParseIndexManifest(strings.NewReader(string(desc.Manifest)))
		if err != nil {
			return Image{}, fmt.Errorf("reading its index: %w", err)
		}
		d, err := pick(idx.Manifests, v)
		if err != nil {
			return Image{}, err
		}
		img.IndexDigest = desc.Digest.String()
		img.OSVersion = d.Platform.OSVersion
		desc, err = remote.Get(parsed.Context().Digest(d.Digest.String()), opts...)
		if err != nil {
			return Image{}, explain(parsed, err)
		}
	}
	if !desc.MediaType.IsImage() {
		return Image{}, fmt.Errorf("is a %s, not a container image", desc.MediaType)
	}
	m, err := v1.ParseManifest(strings.NewReader(string(desc.Manifest)))
	if err != nil {
		return Image{}, fmt.Errorf("reading its manifest: %w", err)
	}
	img.Digest = desc.Digest.String()
	if img.OSVersion == "" {
		// No index to say what this is: the config says it.
		i, err := desc.Image()
		if err != nil {
			return Image{}, explain(parsed, err)
		}
		cf, err := i.ConfigFile()
		if err != nil {
			return Image{}, explain(parsed, err)
		}
		if cf.OS != "windows" || cf.Architecture != "amd64" {
			return Image{}, fmt.Errorf("is a %s/%s image; a Windows node needs windows/amd64", cf.OS, cf.Architecture)
		}
		// An image that declares no build matches every Windows host in
		// containerd (see pick), so it is taken; the plan says so.
		if cf.OSVersion != "" && !v.Runs(cf.OSVersion) {
			return Image{}, fmt.Errorf("is built for Windows %s, which a %s node (build %s) cannot run; use a tag for %s", describeBuild(cf.OSVersion), v.Release, v.Build, v.LTSC)
		}
		img.OSVersion = cf.OSVersion
	}
	for _, l := range m.Layers {
		img.Layers = append(img.Layers, Layer{Digest: l.Digest.String(), Size: l.Size})
	}
	return img, nil
}

// pick chooses the windows/amd64 manifest the node runs, as containerd
// does: of the builds it runs (windows.Variant.Runs), the one whose
// os.version sorts last (windows.Newer). A 2025 node thus takes an
// ltsc2022-only image's 2022 variant. A manifest with no os.version
// matches any Windows host in containerd (github.com/containerd/platforms:
// windowsVersionMatcher.Match in 1.x, windowsmatcher.Match in v0.2, "HPC
// containers do not have OS version filled") but sorts after those with
// one, so it is taken only when no other fits.
func pick(manifests []v1.Descriptor, v windows.Variant) (v1.Descriptor, error) {
	var platforms, builds []string
	var best, unversioned *v1.Descriptor
	for i, d := range manifests {
		p := d.Platform
		if p == nil {
			continue
		}
		platforms = append(platforms, p.OS+"/"+p.Architecture)
		if p.OS != "windows" || p.Architecture != "amd64" {
			continue
		}
		builds = append(builds, describeBuild(p.OSVersion))
		if p.OSVersion == "" && unversioned == nil {
			unversioned = &manifests[i]
		}
		if v.Runs(p.OSVersion) && (best == nil || windows.Newer(p.OSVersion, best.Platform.OSVersion)) {
			best = &manifests[i]
		}
	}
	switch {
	case best != nil:
		return *best, nil
	case unversioned != nil:
		return *unversioned, nil
	case len(builds) == 0:
		return v1.Descriptor{}, fmt.Errorf("has no windows/amd64 variant (platforms: %s); a Windows node cannot run it", strings.Join(unique(platforms), ", "))
	case v.OldestRunnable() != v.Build:
		return v1.Descriptor{}, fmt.Errorf("has no variant for Windows build %s (%s) nor for an older build a %s node runs (from %s); it has %s", v.Build, v.LTSC, v.Release, describeBuild(v.OldestRunnable()), strings.Join(unique(builds), ", "))
	default:
		return v1.Descriptor{}, fmt.Errorf("has no variant for Windows build %s (%s); it has %s", v.Build, v.LTSC, strings.Join(unique(builds), ", "))
	}
}

// describeBuild names a build with its LTSC tag where there is one.
func describeBuild(osVersion string) string {
	b := windows.BuildOf(osVersion)
	for _, n := range windows.Names() {
		if v, _ := windows.Lookup(n); v.Build == b {
			return b + " (" + v.LTSC + ")"
		}
	}
	if b == "" {
		return "an unknown build"
	}
	return b
}

func unique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// explain turns a registry error into a cause a user can act on.
func explain(ref name.Reference, err error) error {
	reg := ref.Context().RegistryStr()
	var te *transport.Error
	if errors.As(err, &te) {
		_, isECR := ecr.ParseHost(reg)
		switch {
		case te.StatusCode == http.StatusUnauthorized && isECR:
			return fmt.Errorf("not authorized by %s: the ECR token of this account was refused; if the repository belongs to another account, its repository policy must allow this account to pull", reg)
		case te.StatusCode == http.StatusUnauthorized:
			return fmt.Errorf("not authorized by %s: log in to it (docker login %s) so the credentials are in your docker config", reg, reg)
		case te.StatusCode == http.StatusForbidden:
			return fmt.Errorf("access to %s denied by %s: the credentials in use may not pull it", ref.Context().RepositoryStr(), reg)
		case hasCode(te, transport.ManifestUnknownErrorCode) || te.StatusCode == http.StatusNotFound && !hasCode(te, transport.NameUnknownErrorCode):
			if _, isTag := ref.(name.Tag); isTag {
				return fmt.Errorf("tag %s not found in %s (or the repository does not exist)", ref.Identifier(), ref.Context().Name())
			}
			return fmt.Errorf("digest %s not found in %s", ref.Identifier(), ref.Context().Name())
		case hasCode(te, transport.NameUnknownErrorCode):
			return fmt.Errorf("repository %s does not exist", ref.Context().Name())
		}
		return fmt.Errorf("registry %s answered %d: %w", reg, te.StatusCode, err)
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) {
		return fmt.Errorf("registry %s is unreachable: %w", reg, err)
	}
	return fmt.Errorf("reading it: %w", err)
}

func hasCode(te *transport.Error, code transport.ErrorCode) bool {
	for _, d := range te.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}
