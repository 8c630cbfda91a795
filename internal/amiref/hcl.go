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

func analyzeHCL(name string, data []byte, toks []Token) ([]Place, string, error) {
	places := make([]Place, len(toks))
	body, err := parseHCL(name, data)
	if err != nil {
		return places, "", err
	}
	for i, t := range toks {
		places[i] = findInBody(body, "", t.Offset)
	}
	return places, structureHCL(body), nil
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

func findInBody(body *hclsyntax.Body, prefix string, off int) Place {
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
			rest, key := findInExpr(a.Expr, off)
			return Place{Where: p + rest, InKey: key}
		}
	}
	return Place{Where: prefix}
}

// findInExpr follows object and tuple constructors down to the offset;
// key says the offset is inside an object key.
func findInExpr(e hclsyntax.Expression, off int) (string, bool) {
	switch x := e.(type) {
	case *hclsyntax.ObjectConsExpr:
		for _, item := range x.Items {
			if r := item.KeyExpr.Range(); off >= r.Start.Byte && off < r.End.Byte {
				return keyPath(item.KeyExpr), true
			}
			if r := item.ValueExpr.Range(); off >= r.Start.Byte && off < r.End.Byte {
				rest, key := findInExpr(item.ValueExpr, off)
				return keyPath(item.KeyExpr) + rest, key
			}
		}
	case *hclsyntax.TupleConsExpr:
		for i, el := range x.Exprs {
			if r := el.Range(); off >= r.Start.Byte && off < r.End.Byte {
				rest, key := findInExpr(el, off)
				return "[" + strconv.Itoa(i) + "]" + rest, key
			}
		}
	}
	return "", false
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
func structureHCL(body *hclsyntax.Body) string {
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
	return strings.Join(paths, "\n")
}
