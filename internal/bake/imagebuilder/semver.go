package imagebuilder

import (
	"fmt"
	"strconv"
	"strings"
)

type semver [3]int

func parseSemver(v string) (semver, bool) {
	var s semver
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return s, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil {
			return s, false
		}
		s[i] = n
	}
	return s, true
}

func (s semver) String() string { return fmt.Sprintf("%d.%d.%d", s[0], s[1], s[2]) }

func (s semver) next() semver {
	if s[2] >= 1<<30-1 {
		return semver{s[0], s[1] + 1, 0}
	}
	return semver{s[0], s[1], s[2] + 1}
}

// nextVersion is the version after the highest of versions, or 1.0.0.
func nextVersion(versions []string) semver {
	top, found := semver{1, 0, 0}, false
	for _, v := range versions {
		if s, ok := parseSemver(v); ok && (!found || less(top, s)) {
			top, found = s, true
		}
	}
	if !found {
		return top
	}
	return top.next()
}

func less(a, b semver) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}
