package imagebuilder

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Content hashes name what a resource holds: a later run compares hashes,
// not fields, to tell whether a resource is current.

func hash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// token is a deterministic client token: the same request made again (by a
// re-run) replays AWS's first answer instead of creating a second resource.
func token(parts ...string) string { return hash(parts...)[:32] }

// describe puts a content hash in a mutable resource's description, so a
// later run sees whether it matches the config without comparing fields.
func describe(what, sum string) string {
	return fmt.Sprintf("%s, managed by winbake [sha256:%s]", what, sum[:16])
}
