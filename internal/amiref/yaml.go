package amiref

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

func parseYAMLDocs(data []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return docs, fmt.Errorf("does not parse as YAML/JSON: %w", err)
		}
		docs = append(docs, &n)
	}
}

func locateYAML(name string, data []byte, toks []Token) ([]string, error) {
	where := make([]string, len(toks))
	docs, err := parseYAMLDocs(data)
	if err != nil {
		return where, err
	}
	for i, t := range toks {
		for _, d := range docs {
			if p, ok := findInNode(d, "", t); ok {
				where[i] = docLabel(name, d) + p
				break
			}
		}
	}
	return where, nil
}

// docLabel names what kind of document a YAML/JSON document is.
func docLabel(name string, doc *yaml.Node) string {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	get := func(key string) *yaml.Node {
		if root.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == key {
				return root.Content[i+1]
			}
		}
		return nil
	}
	metaName := ""
	if m := get("metadata"); m != nil && m.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == "name" {
				metaName = " " + m.Content[i+1].Value
			}
		}
	}
	api, kind := get("apiVersion"), get("kind")
	switch {
	case api != nil && strings.Contains(api.Value, "eksctl.io") && kind != nil:
		return "eksctl " + kind.Value + metaName + ": "
	case api != nil && strings.Contains(api.Value, "karpenter") && kind != nil:
		return "Karpenter " + kind.Value + metaName + ": "
	case get("AWSTemplateFormatVersion") != nil || get("Resources") != nil:
		return "CloudFormation: "
	case strings.HasSuffix(name, ".tfvars.json"):
		return "Terraform variables: "
	case strings.HasSuffix(name, "values.yaml") || strings.HasSuffix(name, "values.yml"):
		return "Helm values: "
	}
	return ""
}

// findInNode finds the scalar holding the token and returns its path.
func findInNode(n *yaml.Node, p string, t Token) (string, bool) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			if r, ok := findInNode(c, p, t); ok {
				return r, true
			}
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key := n.Content[i].Value
			sub := key
			if p != "" {
				sub = p + "." + key
			}
			if r, ok := findInNode(n.Content[i+1], sub, t); ok {
				return r, true
			}
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			if r, ok := findInNode(c, p+itemLabel(c, i), t); ok {
				return r, true
			}
		}
	case yaml.ScalarNode:
		if strings.Contains(n.Value, t.AMI) && (n.Line == t.Line || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && t.Line > n.Line) {
			return p, true
		}
	}
	return "", false
}

// itemLabel names a list item by its name key, as eksctl's node groups
// are known: nodeGroups[name=win].
func itemLabel(n *yaml.Node, i int) string {
	if n.Kind == yaml.MappingNode {
		for j := 0; j+1 < len(n.Content); j += 2 {
			if n.Content[j].Value == "name" && n.Content[j+1].Kind == yaml.ScalarNode {
				return "[name=" + n.Content[j+1].Value + "]"
			}
		}
	}
	return "[" + strconv.Itoa(i) + "]"
}

// structureYAML fingerprints the key paths of every document.
func structureYAML(data []byte) (string, error) {
	docs, err := parseYAMLDocs(data)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	var walk func(n *yaml.Node, p string)
	walk = func(n *yaml.Node, p string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, p)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i+1], p+"."+n.Content[i].Value)
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				walk(c, p+"["+strconv.Itoa(i)+"]")
			}
		default:
			b.WriteString(p + "\n")
		}
	}
	for i, d := range docs {
		walk(d, "#"+strconv.Itoa(i))
	}
	return b.String(), nil
}
