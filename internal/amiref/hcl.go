package amiref

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
)

func parseHCL(name string, data []byte) (*hclsyntax.Body, error) {
	f, diags := hclsyntax.ParseConfig(data, name, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, fmt.Errorf("does not parse as HCL: %s", diags.Error())
	}
	return f.Body.(*hclsyntax.Body), nil
}

func locateHCL(name string, data []byte, toks []Token) ([]string, error) {
	where := make([]string, len(toks))
	body, err := parseHCL(name, data)
	if err != nil {
		return where, err
	}
	for i, t := range toks {
		where[i] = findInBody(body, "", t.Offset)
	}
	return where, nil
}

// blockAddress names a block the way Terraform addresses it.
func blockAddress(prefix string, b *hclsyntax.Block) string {
	parts := []string{}
	if !(b.Type == "resource" && prefix == "") {
		parts = append(parts, b.Type)
	}
	parts = append(parts, b.Labels...)
	addr := strings.Join(parts, ".")
	if prefix != "" {
		addr = prefix + "." + addr
	}
	return addr
}

func findInBody(body *hclsyntax.Body, prefix string, off int) string {
	for _, b := range body.Blocks {
		if r := b.Range(); off >= r.Start.Byte && off < r.End.Byte {
			return findInBody(b.Body, blockAddress(prefix, b), off)
		}
	}
	for _, a := range body.Attributes {
		if r := a.Expr.Range(); off >= r.Start.Byte && off < r.End.Byte {
			p := a.Name
			if prefix != "" {
				p = prefix + "." + a.Name
			}
			return p + findInExpr(a.Expr, off)
		}
	}
	return prefix
}

func findInExpr(e hclsyntax.Expression, off int) string {
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		for _, item := range x.Items {
			if r := item.ValueExpr.Range(); off >= r.Start.Byte && off < r.End.Byte {
				return keyPath(item.KeyExpr) + findInExpr(item.ValueExpr, off)
			}
		}
	case *hclsyntax.TupleConsExpr:
		for i, el := range x.Exprs {
			if r := el.Range(); off >= r.Start.Byte && off < r.End.Byte {
				return "[" + strconv.Itoa(i) + "]" + findInExpr(el, off)
			}
		}
	}
	return ""
}

func keyPath(k hclsyntax.Expression) string {
	if v, diags := k.Value(nil); !diags.HasErrors() && v.Type().FriendlyName() == "string" {
		s := v.AsString()
		if isIdent(s) {
			return "." + s
		}
		return "[" + strconv.Quote(s) + "]"
	}
	if kc, ok := k.(*hclsyntax.ObjectConsKeyExpr); ok {
		if t, ok := kc.Wrapped.(*hclsyntax.ScopeTraversalExpr); ok {
			return "." + t.Traversal.RootName()
		}
	}
	return "[?]"
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && (r >= '0' && r <= '9' || r == '-')) {
			return false
		}
	}
	return true
}

// structureHCL fingerprints the addresses of all blocks and attributes.
func structureHCL(name string, data []byte) (string, error) {
	body, err := parseHCL(name, data)
	if err != nil {
		return "", err
	}
	var paths []string
	var walk func(b *hclsyntax.Body, prefix string)
	walk = func(b *hclsyntax.Body, prefix string) {
		for n := range b.Attributes {
			paths = append(paths, prefix+"."+n)
		}
		for _, blk := range b.Blocks {
			p := blockAddress(prefix, blk)
			paths = append(paths, p)
			walk(blk.Body, p)
		}
	}
	walk(body, "")
	sort.Strings(paths)
	return strings.Join(paths, "\n"), nil
}
