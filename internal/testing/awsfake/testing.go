package awsfake

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/windows"
)

// Start runs a fake for the length of a test and points the AWS SDK at it
// through the environment, as a user's AWS_ENDPOINT_URL would.
func Start(t testing.TB) *Server {
	t.Helper()
	s := New()
	t.Cleanup(s.Close)
	for k, v := range s.Env() {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	return s
}

// Env is the environment that sends the AWS SDK to the fake.
func (s *Server) Env() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL":          s.URL(),
		"AWS_ACCESS_KEY_ID":         "AKIAFAKEFAKEFAKEFAKE",
		"AWS_SECRET_ACCESS_KEY":     "fake-secret-access-key",
		"AWS_REGION":                "us-east-1",
		"AWS_EC2_METADATA_DISABLED": "true",
		"AWS_RETRY_MODE":            "standard",
	}
}

// AddEKSAMI publishes an EKS-optimized Windows AMI of a variant and
// Kubernetes version in a region, as AWS does: an AMI owned by Amazon and
// its public SSM parameter. It returns the AMI ID.
func (s *Server) AddEKSAMI(region, variant, kubernetes string) string {
	return s.AddEKSAMIWithID(region, variant, kubernetes, "")
}

// AddEKSAMIWithID is AddEKSAMI with the AMI ID given, for fixtures that
// name the stock AMI (generated when id is empty).
func (s *Server) AddEKSAMIWithID(region, variant, kubernetes, id string) string {
	v, ok := windows.Lookup(variant)
	if !ok {
		panic("awsfake: unknown variant " + variant)
	}
	name := strings.TrimSuffix(v.AMINamePattern(kubernetes), "*") + s.Clock.Now().Format("2006.01.02")
	id = s.AddImage(region, Image{ID: id, Name: name, Owner: "801119661308", OwnerAlias: "amazon", Public: true})
	s.SetParameter(region, v.SSMParameter(kubernetes), id)
	return id
}

// String describes the fake for failure messages.
func (s *Server) String() string { return fmt.Sprintf("awsfake at %s", s.URL()) }
