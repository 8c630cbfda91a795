package components

import (
	"fmt"
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
