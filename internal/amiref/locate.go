package amiref

import (
	"path"
	"strings"
)

// Kind is what a file is, for saying where an AMI sits in it.
type Kind int

// Kinds of file amiref understands.
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

// Place is where a token sits in its file.
type Place struct {
	Where string // a path such as aws_launch_template.win.image_id; "" if unknown
	// InKey is set when the token is (part of) a map key: rewriting it
	// would change the file's structure.
	InKey bool
}

// Analyze parses a file of a known kind once: it says where each token
// sits and fingerprints the structure (the paths of keys), to compare
// before and after a rewrite. It returns the parse error of a file of a
// known kind that does not parse.
func Analyze(name string, data []byte, toks []Token) ([]Place, string, error) {
	switch KindOf(name) {
	case KindHCL:
		return analyzeHCL(name, data, toks)
	case KindYAML:
		return analyzeYAML(name, data, toks)
	case KindJSON:
		return analyzeJSON(name, data, toks)
	}
	return make([]Place, len(toks)), "", nil
}

// Fingerprint is Analyze's structure fingerprint alone.
func Fingerprint(name string, data []byte) (string, error) {
	_, fp, err := Analyze(name, data, nil)
	return fp, err
}

// docKind names what kind of document a YAML/JSON document is.
func docKind(name, api, kind, metaName string, cloudFormation bool) string {
	if metaName != "" {
		metaName = " " + metaName
	}
	switch {
	case strings.Contains(api, "eksctl.io") && kind != "":
		return "eksctl " + kind + metaName + ": "
	case strings.Contains(api, "karpenter") && kind != "":
		return "Karpenter " + kind + metaName + ": "
	case cloudFormation:
		return "CloudFormation: "
	case strings.HasSuffix(name, ".tfvars.json"):
		return "Terraform variables: "
	case strings.HasSuffix(name, "values.yaml") || strings.HasSuffix(name, "values.yml"):
		return "Helm values: "
	}
	return ""
}
