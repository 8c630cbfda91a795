package components

import (
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/winbake/winbake/internal/ecr"
)

// CacheImage is one image as the PowerShell scripts receive it.
type CacheImage struct {
	// Pull is what ctr pulls: repo@sha256:... when pinned, else the tag.
	Pull string `json:"pull"`
	// Tag is the reference pods use; the pulled image is tagged with it.
	Tag string `json:"tag"`
	// Index is repo@sha256:<index digest> when the tag names a
	// multi-platform index: kubelet pulling by tag records that digest, and
	// pods pinned to it find the image only under that name.
	Index string `json:"index,omitempty"`
	// ECRRegion is set for private ECR images: the script fetches a token
	// for that region from the instance role.
	ECRRegion string `json:"ecrRegion,omitempty"`
}

// NewCacheImage turns a reference from winbake.yaml, and the digest the plan
// pinned it to ("" when not planned), into the names containerd uses.
// A reference may carry both, as repo:tag@sha256:...
func NewCacheImage(ref, digest string) (CacheImage, error) {
	if at := strings.LastIndex(ref, "@"); at > 0 && digest == "" && hasTag(ref[:at]) {
		if _, err := name.NewDigest(ref); err != nil {
			return CacheImage{}, fmt.Errorf("%q is not an image reference: %w", ref, err)
		}
		ref, digest = ref[:at], ref[at+1:]
	}
	tag, err := name.NewTag(ref)
	if err != nil {
		// A reference already pinned by digest keeps that digest.
		d, derr := name.NewDigest(ref)
		if derr != nil {
			return CacheImage{}, fmt.Errorf("%q is not an image reference: %w", ref, err)
		}
		pull := containerdName(d.Context()) + "@" + d.DigestStr()
		return CacheImage{Pull: pull, Tag: pull, ECRRegion: ecrRegion(d.Context())}, nil
	}
	img := CacheImage{Tag: containerdName(tag.Context()) + ":" + tag.TagStr(), ECRRegion: ecrRegion(tag.Context())}
	img.Pull = img.Tag
	if digest != "" {
		if !strings.HasPrefix(digest, "sha256:") {
			return CacheImage{}, fmt.Errorf("%q: digest %q is not a sha256 digest", ref, digest)
		}
		img.Pull = containerdName(tag.Context()) + "@" + digest
	}
	return img, nil
}

// WithIndex adds the name of the index the tag pointed at when planned
// (indexDigest "" when the tag names a single manifest).
func (c CacheImage) WithIndex(indexDigest string) (CacheImage, error) {
	if indexDigest == "" {
		return c, nil
	}
	if !strings.HasPrefix(indexDigest, "sha256:") {
		return CacheImage{}, fmt.Errorf("%s: index digest %q is not a sha256 digest", c.Tag, indexDigest)
	}
	repo := c.Pull
	if at := strings.LastIndex(repo, "@"); at > 0 {
		repo = repo[:at]
	} else if colon := strings.LastIndex(repo, ":"); colon > strings.LastIndex(repo, "/") {
		repo = repo[:colon]
	}
	c.Index = repo + "@" + indexDigest
	return c, nil
}

// Names are every name the image gets in containerd, in the order the
// scripts create them: the pulled name first, then the tag and the index.
func (c CacheImage) Names() []string {
	var names []string
	for _, n := range []string{c.Pull, c.Tag, c.Index} {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	return names
}

// hasTag reports whether a reference without digest names a tag explicitly.
func hasTag(ref string) bool {
	last := ref[strings.LastIndex(ref, "/")+1:]
	return strings.Contains(last, ":")
}

// containerdName is the repository as containerd and kubelet spell it:
// Docker Hub is docker.io, not index.docker.io.
func containerdName(repo name.Repository) string {
	if repo.RegistryStr() == name.DefaultRegistry {
		return "docker.io/" + repo.RepositoryStr()
	}
	return repo.Name()
}

func ecrRegion(repo name.Repository) string {
	if r, ok := ecr.ParseHost(repo.RegistryStr()); ok {
		return r.Region
	}
	return ""
}
