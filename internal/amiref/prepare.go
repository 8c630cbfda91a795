package amiref

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/winbake/winbake/internal/config"
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
	// FromKubernetes is the earlier Kubernetes minor the old AMI was baked
	// for: this change upgrades the node group's kubelet.
	FromKubernetes string `json:"fromKubernetes,omitempty"`
}

// Skip is an AMI reference left alone, and why.
type Skip struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Where  string `json:"where,omitempty"`
	AMI    string `json:"ami"`
	Reason string `json:"reason"`
}

// SkippedFile is a file left alone that holds AMIs of the lineage (or may:
// a symlink out of the repository is not read).
type SkippedFile struct {
	File   string   `json:"file"`
	Reason string   `json:"reason"`
	AMIs   []string `json:"amis,omitempty"` // the lineage AMIs in it
}

// Result is what a bump would do to a repository.
type Result struct {
	Changes []Change
	// Current are lineage references already at the new AMI.
	Current []Change
	Ignored []Skip
	// Uncovered are lineage AMIs of a region with no new AMI.
	Uncovered []Skip
	// Skipped are files never rewritten that hold lineage AMIs.
	Skipped []SkippedFile
	Notes   []string
	// Kubernetes is the minor the new AMIs run.
	Kubernetes string
	// Contents are the new bytes of every changed file.
	Contents map[string][]byte
}

// Prepare decides every change and renders the new file contents; it
// writes nothing. A file that cannot be rewritten safely is skipped with
// the reason, and the others are still bumped.
func Prepare(root string, files []File, lineage Lineage, ignored map[string]string, newAMIs map[string]string, img config.Image) (*Result, error) {
	fresh := map[string]bool{}
	for _, a := range newAMIs {
		fresh[a] = true
	}
	// Files are decided in parallel (parsing is most of the work) and
	// merged in path order.
	parts := make([]Result, len(files))
	errs := make([]error, len(files))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(max(runtime.GOMAXPROCS(0), 1), len(files)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				errs[i] = parts[i].prepareFile(root, files[i], lineage, ignored, newAMIs, fresh, img)
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()
	r := &Result{Contents: map[string][]byte{}, Kubernetes: img.Kubernetes}
	for i, p := range parts {
		if errs[i] != nil {
			return nil, errs[i]
		}
		r.Changes = append(r.Changes, p.Changes...)
		r.Current = append(r.Current, p.Current...)
		r.Ignored = append(r.Ignored, p.Ignored...)
		r.Uncovered = append(r.Uncovered, p.Uncovered...)
		r.Skipped = append(r.Skipped, p.Skipped...)
		r.Notes = append(r.Notes, p.Notes...)
		maps.Copy(r.Contents, p.Contents)
	}
	return r, nil
}

// prepareFile decides the changes of one file and renders it.
func (r *Result) prepareFile(root string, f File, lineage Lineage, ignored map[string]string, newAMIs map[string]string, fresh map[string]bool, img config.Image) error {
	for _, n := range f.Floating {
		r.Notes = append(r.Notes, fmt.Sprintf("%s:%d: %s; %s", f.Path, n.Line, n.Text, judge(n, img)))
	}
	if f.Skip != "" {
		r.skipFile(f, nil, lineage, ignored, f.Skip)
		return nil
	}
	if len(f.Tokens) == 0 {
		return nil
	}
	// A file holding no AMI of the lineage is left as it is: it is not
	// read again nor parsed, and its references are named by line.
	if !slices.ContainsFunc(f.Tokens, func(t Token) bool { _, ok := lineage[t.AMI]; return ok && !fresh[t.AMI] }) {
		for _, t := range f.Tokens {
			if fresh[t.AMI] {
				r.Current = append(r.Current, Change{File: f.Path, Line: t.Line, Column: t.Column, Region: lineage[t.AMI].Region, Old: t.AMI, New: t.AMI})
			} else {
				r.Ignored = append(r.Ignored, Skip{File: f.Path, Line: t.Line, AMI: t.AMI, Reason: ignored[t.AMI]})
			}
		}
		return nil
	}
	raw, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f.Path)))
	if err != nil {
		return fmt.Errorf("reading %s: %w", f.Path, err)
	}
	data, ok := f.Encoding.decode(raw)
	if !ok {
		r.skipFile(f, nil, lineage, ignored, "it changed while being read")
		return nil
	}
	places, before, parseErr := Analyze(f.Path, data, f.Tokens)
	repl := map[string]string{}
	var changes, current []Change
	var others, uncovered []Skip
	for i, t := range f.Tokens {
		where := places[i].Where
		switch m, inLineage := lineage[t.AMI]; {
		case fresh[t.AMI]:
			current = append(current, Change{File: f.Path, Line: t.Line, Column: t.Column, Where: where, Region: m.Region, Old: t.AMI, New: t.AMI})
		case !inLineage:
			others = append(others, Skip{File: f.Path, Line: t.Line, Where: where, AMI: t.AMI, Reason: ignored[t.AMI]})
		case buildBase(where):
			others = append(others, Skip{File: f.Path, Line: t.Line, Where: where, AMI: t.AMI, Reason: buildBaseReason})
		case newAMIs[m.Region] == "":
			uncovered = append(uncovered, Skip{File: f.Path, Line: t.Line, Where: where, AMI: t.AMI,
				Reason: fmt.Sprintf("%s, in %s, where no new AMI was baked", m.Why, m.Region)})
		case places[i].InKey:
			r.skipFile(f, places, lineage, ignored, fmt.Sprintf("line %d: AMI %s is a key (%s); rewriting it would change the file's structure", t.Line, t.AMI, orUnknown(where)))
			return nil
		default:
			repl[t.AMI] = newAMIs[m.Region]
			changes = append(changes, Change{File: f.Path, Line: t.Line, Column: t.Column, Where: where, Region: m.Region, Old: t.AMI, New: newAMIs[m.Region], FromKubernetes: m.FromKubernetes})
		}
	}
	if len(changes) > 0 {
		out := Rewrite(data, f.Tokens, repl)
		if parseErr != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("%s %v; its AMI IDs were replaced token by token, check it by hand", f.Path, parseErr))
		} else if after, err := Fingerprint(f.Path, out); err != nil || after != before {
			why := "rewriting its AMI IDs would change its structure"
			if err != nil {
				why = "after rewriting its AMI IDs it " + err.Error()
			}
			r.skipFile(f, places, lineage, ignored, why)
			return nil
		}
		r.Contents = map[string][]byte{f.Path: f.Encoding.encode(out)}
	}
	r.Changes = append(r.Changes, changes...)
	r.Current = append(r.Current, current...)
	r.Ignored = append(r.Ignored, others...)
	r.Uncovered = append(r.Uncovered, uncovered...)
	return nil
}

// skipFile leaves a whole file alone: it is named with the reason when it
// holds lineage AMIs (or cannot be read to tell), and its other AMIs are
// listed as ignored.
func (r *Result) skipFile(f File, places []Place, lineage Lineage, ignored map[string]string, reason string) {
	var amis []string
	for i, t := range f.Tokens {
		where := ""
		if places != nil {
			where = places[i].Where
		}
		if _, ok := lineage[t.AMI]; ok {
			if !slices.Contains(amis, t.AMI) {
				amis = append(amis, t.AMI)
			}
			continue
		}
		r.Ignored = append(r.Ignored, Skip{File: f.Path, Line: t.Line, Where: where, AMI: t.AMI, Reason: ignored[t.AMI]})
	}
	if len(amis) > 0 || len(f.Tokens) == 0 {
		r.Skipped = append(r.Skipped, SkippedFile{File: f.Path, Reason: reason, AMIs: amis})
	}
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown place"
	}
	return s
}

// buildBaseReason is why the base AMI of an image build is left alone.
const buildBaseReason = "the base AMI of an image build (Packer source_ami, Image Builder parent image), not a node group's: a bake starts from the stock AMI, never from an earlier bake"

// buildBase reports a place that is the AMI an image build starts from:
// Packer's amazon builders' source_ami (packer-plugin-amazon, builder
// amazon-ebs) and an Image Builder recipe's parent image (Terraform
// aws_imagebuilder_image_recipe.parent_image, CloudFormation
// AWS::ImageBuilder::ImageRecipe ParentImage). Replaced by a baked AMI, the
// next build would bake on top of its own output.
func buildBase(where string) bool {
	last := where[strings.LastIndexAny(where, ".:]")+1:]
	switch strings.TrimSpace(last) {
	case "source_ami", "parent_image", "ParentImage":
		return true
	}
	return false
}
