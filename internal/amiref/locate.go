package amiref

import (
	"path"
	"strings"
)

// Kind is what a file is, for saying where an AMI sits in it.
type Kind int

// Kinds of file bump understands.
const (
	KindOther Kind = iota
	KindHCL
	KindYAML
	KindJSON
)

// KindOf guesses a file's kind from its name.
func KindOf(name string) Kind {
	base := strings.ToLower(path.Base(name))
	switch {
	case strings.HasSuffix(base, ".tf"), strings.HasSuffix(base, ".hcl"), strings.HasSuffix(base, ".tfvars"):
		return KindHCL
	case strings.HasSuffix(base, ".yaml"), strings.HasSuffix(base, ".yml"):
		return KindYAML
	case strings.HasSuffix(base, ".json"):
		return KindJSON
	}
	return KindOther
}

// Locate says where each token sits in the file ("" where it cannot), and
// returns the parse error of a file of a known kind that does not parse.
func Locate(name string, data []byte, toks []Token) ([]string, error) {
	switch KindOf(name) {
	case KindHCL:
		return locateHCL(name, data, toks)
	case KindYAML, KindJSON:
		return locateYAML(name, data, toks)
	}
	return make([]string, len(toks)), nil
}

// Parses reports whether a file of a known kind parses, and a fingerprint
// of its structure (paths of keys), to compare before and after a rewrite.
func Parses(name string, data []byte) (string, error) {
	switch KindOf(name) {
	case KindHCL:
		return structureHCL(name, data)
	case KindYAML, KindJSON:
		return structureYAML(data)
	}
	return "", nil
}
