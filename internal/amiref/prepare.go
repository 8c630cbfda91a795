package amiref

import (
	"fmt"
	"os"
	"path/filepath"
)

// Change is one AMI reference to rewrite.
type Change struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Where  string `json:"where,omitempty"`
	Region string `json:"region"`
	Old    string `json:"old"`
	New    string `json:"new"`
}

// Skip is an AMI reference left alone, and why.
type Skip struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Where  string `json:"where,omitempty"`
	AMI    string `json:"ami"`
	Reason string `json:"reason"`
}

// Result is what a bump would do to a repository.
type Result struct {
	Changes []Change
	// Current are lineage references already at the new AMI.
	Current []Change
	Ignored []Skip
	// Uncovered are lineage AMIs of a region with no new AMI.
	Uncovered []Skip
	Notes     []string
	// Contents are the new bytes of every changed file.
	Contents map[string][]byte
}

// Prepare decides every change and renders the new file contents; it
// writes nothing.
func Prepare(root string, files []File, lineage Lineage, ignored map[string]string, newAMIs map[string]string) (*Result, error) {
	r := &Result{Contents: map[string][]byte{}}
	fresh := map[string]bool{}
	for _, a := range newAMIs {
		fresh[a] = true
	}
	for _, f := range files {
		for _, n := range f.Floating {
			r.Notes = append(r.Notes, fmt.Sprintf("%s:%d: %s", f.Path, n.Line, n.Text))
		}
		if len(f.Tokens) == 0 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f.Path, err)
		}
		where, parseErr := Locate(f.Path, data, f.Tokens)
		repl := map[string]string{}
		changed := false
		for i, t := range f.Tokens {
			switch m, inLineage := lineage[t.AMI]; {
			case fresh[t.AMI]:
				r.Current = append(r.Current, Change{File: f.Path, Line: t.Line, Column: t.Column, Where: where[i], Region: m.Region, Old: t.AMI, New: t.AMI})
			case !inLineage:
				r.Ignored = append(r.Ignored, Skip{File: f.Path, Line: t.Line, Where: where[i], AMI: t.AMI, Reason: ignored[t.AMI]})
			case newAMIs[m.Region] == "":
				r.Uncovered = append(r.Uncovered, Skip{File: f.Path, Line: t.Line, Where: where[i], AMI: t.AMI,
					Reason: fmt.Sprintf("%s, in %s, where no new AMI was baked", m.Why, m.Region)})
			default:
				repl[t.AMI] = newAMIs[m.Region]
				changed = true
				r.Changes = append(r.Changes, Change{File: f.Path, Line: t.Line, Column: t.Column, Where: where[i], Region: m.Region, Old: t.AMI, New: newAMIs[m.Region]})
			}
		}
		if !changed {
			continue
		}
		out := Rewrite(data, f.Tokens, repl)
		if parseErr != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("%s %v; its AMI IDs were replaced token by token, check it by hand", f.Path, parseErr))
		} else {
			before, _ := Parses(f.Path, data)
			after, err := Parses(f.Path, out)
			if err != nil || before != after {
				return nil, fmt.Errorf("%s: rewriting its AMI IDs would change its structure (%v); nothing written", f.Path, err)
			}
		}
		r.Contents[f.Path] = out
	}
	return r, nil
}
