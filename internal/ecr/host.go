// Package ecr recognises Amazon ECR registries and fetches their credentials.
package ecr

import "regexp"

var hostRE = regexp.MustCompile(`^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$`)

// Registry is a private ECR registry: an account's registry in one region.
type Registry struct {
	Account string
	Region  string
}

// ParseHost recognises an ECR registry host such as
// 123456789012.dkr.ecr.eu-west-1.amazonaws.com.
func ParseHost(host string) (Registry, bool) {
	m := hostRE.FindStringSubmatch(host)
	if m == nil {
		return Registry{}, false
	}
	return Registry{Account: m[1], Region: m[2]}, true
}
