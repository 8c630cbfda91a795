package ecr

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/winbake/winbake/internal/awsclient"
)

// TokenAPI is the one ECR operation the keychain calls.
type TokenAPI interface {
	GetAuthorizationToken(ctx context.Context, in *ecr.GetAuthorizationTokenInput, opts ...func(*ecr.Options)) (*ecr.GetAuthorizationTokenOutput, error)
}

// Keychain hands out ECR credentials for private ECR registries, fetched
// with the caller's AWS credentials in the registry's region. For any other
// registry it answers Anonymous, so a MultiKeychain moves on.
type Keychain struct {
	// Client returns an ECR client for a region.
	Client func(region string) TokenAPI

	mu    sync.Mutex
	cache map[string]authn.Authenticator // by region
}

// Resolve implements authn.Keychain.
func (k *Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain.
func (k *Keychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	reg, ok := ParseHost(r.RegistryStr())
	if !ok {
		return authn.Anonymous, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if a, ok := k.cache[reg.Region]; ok {
		return a, nil
	}
	out, err := k.Client(reg.Region).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return nil, fmt.Errorf("getting an ECR token in %s: %w", reg.Region, awsclient.Explain(err))
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, fmt.Errorf("getting an ECR token in %s: the answer holds no token", reg.Region)
	}
	raw, err := base64.StdEncoding.DecodeString(*out.AuthorizationData[0].AuthorizationToken)
	if err != nil {
		return nil, fmt.Errorf("decoding the ECR token of %s: %w", reg.Region, err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, fmt.Errorf("decoding the ECR token of %s: not user:password", reg.Region)
	}
	a := authn.FromConfig(authn.AuthConfig{Username: user, Password: pass})
	if k.cache == nil {
		k.cache = map[string]authn.Authenticator{}
	}
	k.cache[reg.Region] = a
	return a, nil
}
