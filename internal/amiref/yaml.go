package amiref

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

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
			return docs, fmt.Errorf("does not parse as YAML: %w", err)
		}
		docs = append(docs, &n)
	}
}

// scalarAt is a scalar of a YAML document with its path.
type scalarAt struct {
	line, col int // yaml.v3 positions: 1-based, columns in characters
	node      *yaml.Node
	path      string
	key       bool
	label     string
}

// analyzeYAML places each token in the scalar that holds it, by position:
// the last scalar starting at or before the token that contains its AMI,
// so flow collections with several AMIs on one line are told apart.
func analyzeYAML(name string, data []byte, toks []Token) ([]Place, string, error) {
	places := make([]Place, len(toks))
	docs, err := parseYAMLDocs(data)
	if err != nil {
		return places, "", err
	}
	var all []scalarAt
	var fp strings.Builder
	for i, d := range docs {
		label := docLabel(name, d)
		collect(d, "", label, &all)
		fingerprintYAML(d, "#"+strconv.Itoa(i), &fp)
	}
	sort.SliceStable(all, func(i, j int) bool {
		return all[i].line < all[j].line || all[i].line == all[j].line && all[i].col < all[j].col
	})
	for i, t := range toks {
		line, col := t.Line, runeColumn(data, t)
		k := sort.Search(len(all), func(k int) bool {
			return all[k].line > line || all[k].line == line && all[k].col > col
		})
		if k == 0 {
			continue
		}
		if s := all[k-1]; strings.Contains(s.node.Value, t.AMI) && (s.line == line || s.node.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 || strings.Contains(s.node.Value, "\n")) {
			places[i] = Place{Where: s.label + s.path, InKey: s.key}
		}
	}
	return places, fp.String(), nil
}

// runeColumn is a token's 1-based column in characters, as yaml.v3 counts.
func runeColumn(data []byte, t Token) int {
	start := t.Offset - (t.Column - 1)
	return utf8.RuneCount(data[start:t.Offset]) + 1
}

func collect(n *yaml.Node, p, label string, out *[]scalarAt) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			collect(c, p, label, out)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			sub := k.Value
			if p != "" {
				sub = p + "." + k.Value
			}
			if k.Kind == yaml.ScalarNode {
				*out = append(*out, scalarAt{k.Line, k.Column, k, sub, true, label})
			}
			collect(n.Content[i+1], sub, label, out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			collect(c, p+itemLabel(c, i), label, out)
		}
	case yaml.ScalarNode:
		*out = append(*out, scalarAt{n.Line, n.Column, n, p, false, label})
	}
}

// docLabel names what kind of document a YAML document is.
func docLabel(name string, doc *yaml.Node) string {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	cfn := get(root, "AWSTemplateFormatVersion") != nil || get(root, "Resources") != nil
	return docKind(name, scalar(get(root, "apiVersion")), scalar(get(root, "kind")), scalar(get(get(root, "metadata"), "name")), cfn)
}

// itemLabel names a list item by its name key, as eksctl's node groups
// are known: nodeGroups[name=win].
func itemLabel(n *yaml.Node, i int) string {
	if v := get(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
		return "[name=" + v.Value + "]"
	}
	return "[" + strconv.Itoa(i) + "]"
}

// fingerprintYAML writes the key paths of a document.
func fingerprintYAML(n *yaml.Node, p string, b *strings.Builder) {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			fingerprintYAML(c, p, b)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			fingerprintYAML(n.Content[i+1], p+"."+n.Content[i].Value, b)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			fingerprintYAML(c, p+"["+strconv.Itoa(i)+"]", b)
		}
	default:
		b.WriteString(p + "\n")
	}
}
