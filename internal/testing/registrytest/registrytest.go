// Package registrytest runs a real container registry (the CNCF
// distribution registry, Debian's docker-registry package) on a loopback
// port for tests, and builds Windows-shaped images to push into it.
package registrytest

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/crypto/bcrypt"

	"github.com/winbake/winbake/internal/testing/testenv"
)

// Registry is a running registry.
type Registry struct {
	Host     string // 127.0.0.1:port
	User     string // set when started with auth
	Password string
}

// Start runs docker-registry with storage in a temp dir until the test
// ends. With auth, it requires htpasswd basic auth as User/Password.
func Start(t testing.TB, auth bool) *Registry {
	t.Helper()
	return StartWithECRPassword(t, auth, ECRPassword)
}

// StartWithECRPassword starts an auth registry whose user AWS has another
// password: the registry of an account whose ECR refuses our token.
func StartWithECRPassword(t testing.TB, auth bool, ecrPassword string) *Registry {
	t.Helper()
	bin := testenv.Binary(t, "docker-registry")
	dir := t.TempDir()
	port := freePort(t)
	r := &Registry{Host: fmt.Sprintf("127.0.0.1:%d", port)}
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: error}\nstorage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\nhttp:\n  addr: %s\n", filepath.Join(dir, "data"), r.Host)
	if auth {
		r.User, r.Password = "winbake", "s3cret-registry-password"
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		// User AWS takes the password the fake ECR hands out, so ECR
		// authentication can be tested against this registry too.
		awsHash, _ := bcrypt.GenerateFromPassword([]byte(ecrPassword), bcrypt.MinCost)
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(r.User+":"+string(hash)+"\nAWS:"+string(awsHash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		cfg += fmt.Sprintf("auth:\n  htpasswd: {realm: winbake-test, path: %s}\n", htpasswd)
	}
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, "serve", cfgFile)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + r.Host + "/v2/")
		if err == nil {
			resp.Body.Close()
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("docker-registry did not start on %s: %v\n%s", r.Host, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// ECRPassword is the password of user AWS on an auth registry; the fake
// AWS server hands it out as the ECR token.
const ECRPassword = "ecr-password-from-the-fake"

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Auth is the registry's credentials for pushing.
func (r *Registry) Auth() authn.Authenticator {
	if r.User == "" {
		return authn.Anonymous
	}
	return &authn.Basic{Username: r.User, Password: r.Password}
}

// Push writes an index or image under repo:tag ("app:1") and returns the
// full reference.
func (r *Registry) Push(t testing.TB, repoTag string, obj any) string {
	t.Helper()
	ref, err := name.ParseReference(r.Host+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	switch o := obj.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(ref, o, remote.WithAuth(r.Auth()))
	case v1.Image:
		err = remote.Write(ref, o, remote.WithAuth(r.Auth()))
	default:
		t.Fatalf("cannot push %T", obj)
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
	return ref.String()
}

// RandomLayer is a layer of n random (incompressible) bytes.
func RandomLayer(t testing.TB, n int) v1.Layer {
	t.Helper()
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return static.NewLayer(b, types.DockerLayer)
}

// Image builds an image for os/arch (and Windows os.version) of layers.
func Image(t testing.TB, os, arch, osVersion string, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture, cf.OSVersion = os, arch, osVersion
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return mutate.MediaType(img, types.DockerManifestSchema2)
}

// Index builds a multi-platform index of images, each described by its
// config's platform.
func Index(t testing.TB, imgs ...v1.Image) v1.ImageIndex {
	t.Helper()
	var adds []mutate.IndexAddendum
	for _, img := range imgs {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		adds = append(adds, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{
			Platform: &v1.Platform{OS: cf.OS, Architecture: cf.Architecture, OSVersion: cf.OSVersion},
		}})
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.DockerManifestList)
}
