// Package amiref finds the AMI IDs of an image's lineage in a repository,
// says where each one is (Terraform, eksctl, Karpenter, CloudFormation,
// Helm values, JSON), and rewrites exactly their bytes to the new AMIs.
package amiref

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// Token is one AMI ID found in a file.
type Token struct {
	Offset int // byte offset in the file's text (UTF-8)
	Line   int // 1-based
	Column int // 1-based, in bytes
	AMI    string
}

// File is a scanned file with AMI IDs or floating references in it.
type File struct {
	Path   string // slash-separated, relative to the repository root
	Tokens []Token
	// Floating are references that resolve at deploy time (SSM, aliases,
	// stock AMI types); those node groups never get a baked AMI.
	Floating []Note
	// Skip says why the file is never rewritten (Terraform state,
	// winbake's config, a symlink out of the repository, too large);
	// its tokens are still listed.
	Skip string
	// Encoding is how the file's bytes map to the text the offsets count.
	Encoding Encoding
}

// Scope is what to scan under a repository root.
type Scope struct {
	Paths   []string // relative to the root; default: all of it
	Exclude []string // glob patterns, "dir/**" for a whole tree
	// Config is the winbake config file in use, relative to the root
	// (empty when it lives elsewhere): it is never rewritten.
	Config string
}

// MaxFileSize is the largest file read whole; larger files are only
// searched for AMI IDs, in chunks, and named as skipped.
const MaxFileSize = 256 << 20

// SkipDir reports the directories that hold no file of the repository's own
// (git's object store, dependencies, the copies Terraform and Terragrunt
// download); neither bump nor prune descends into them.
func SkipDir(name string) bool { return skipDirs[name] }

var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true, ".terraform": true, ".terragrunt-cache": true}

// configNames are where winbake looks for its config (config.SearchPaths).
var configNames = []string{"winbake.yaml", ".github/winbake.yaml"}

// AMIs lists every distinct AMI ID written in the files under paths,
// comments and files never rewritten (Terraform state, winbake's config)
// included: what a repository may still be using.
func AMIs(ctx context.Context, root string, paths, exclude []string) ([]string, error) {
	files, err := Scan(ctx, root, Scope{Paths: paths, Exclude: exclude})
	if err != nil {
		return nil, err
	}
	return FoundAMIs(files), nil
}

// Scan walks the scope under root and returns the files holding AMI IDs or
// floating references, and the files it will not touch, sorted by path.
// Nothing outside root is read: paths and symlinks that lead out of it are
// returned as skipped. Files are read in parallel, each once.
func Scan(ctx context.Context, root string, s Scope) ([]File, error) {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", root, err)
	}
	if realRoot, err = filepath.Abs(realRoot); err != nil {
		return nil, err
	}
	paths := s.Paths
	if len(paths) == 0 {
		paths = []string{"."}
	}
	var (
		mu    sync.Mutex
		found []File
		seen  = map[string]bool{}
	)
	add := func(f File) {
		mu.Lock()
		defer mu.Unlock()
		if !seen[f.Path] {
			seen[f.Path] = true
			found = append(found, f)
		}
	}
	files := make(chan string, 256)
	var walkErr error
	go func() {
		defer close(files)
		for _, p := range paths {
			if walkErr = walk(ctx, realRoot, p, s.Exclude, files, add); walkErr != nil {
				return
			}
		}
	}()
	var wg sync.WaitGroup
	for range max(runtime.GOMAXPROCS(0), 2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for rel := range files {
				if f, ok := scanFile(filepath.Join(realRoot, filepath.FromSlash(rel)), rel, skipReason(rel, s.Config), &buf); ok {
					add(f)
				}
			}
		}()
	}
	wg.Wait()
	if walkErr != nil {
		return nil, walkErr
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
	return found, nil
}

// walk sends the regular files under one scope path, and reports the
// symlinks that leave the repository instead of following them.
func walk(ctx context.Context, realRoot, p string, exclude []string, files chan<- string, add func(File)) error {
	start := filepath.Join(realRoot, filepath.FromSlash(p))
	real, err := filepath.EvalSymlinks(start)
	if err != nil {
		return fmt.Errorf("bump.paths entry %q: %w", p, err)
	}
	if !within(realRoot, real) {
		add(File{Path: path.Clean(filepath.ToSlash(p)), Skip: "a symlink on the way leads outside the repository; not read"})
		return nil
	}
	return filepath.WalkDir(real, func(full string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(realRoot, full)
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			if skipDirs[d.Name()] && full != real || excluded(rel, exclude) {
				return filepath.SkipDir
			}
		case excluded(rel, exclude):
		case d.Type()&fs.ModeSymlink != 0:
			// A link inside the repository is scanned where it points;
			// one that leaves it is named and never followed.
			if target, err := filepath.EvalSymlinks(full); err == nil && !within(realRoot, target) {
				add(File{Path: rel, Skip: "a symlink that leads outside the repository; not read"})
			}
		case d.Type().IsRegular():
			files <- rel
		}
		return nil
	})
}

// within reports whether real (a resolved path) is root or under it.
func within(root, real string) bool {
	r, err := filepath.Rel(root, real)
	return err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) && !filepath.IsAbs(r)
}

func excluded(rel string, patterns []string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, rel); ok {
			return true
		}
		// "dir/**" excludes everything under dir.
		if strings.HasSuffix(p, "/**") && (rel == strings.TrimSuffix(p, "/**") || strings.HasPrefix(rel, strings.TrimSuffix(p, "**"))) {
			return true
		}
	}
	return false
}

// skipReason says why a file, by its name, is never rewritten.
func skipReason(rel, config string) string {
	base := path.Base(rel)
	switch {
	case strings.HasSuffix(base, ".tfstate") || strings.HasSuffix(base, ".tfstate.backup"):
		// State is written by Terraform: edited by hand, it claims the new
		// AMI is deployed, plan shows no change and nothing rolls.
		return "Terraform state: written by Terraform, never by hand"
	case rel == config:
		return "winbake's own config, in use: its images[].amis keep old AMIs in the lineage"
	}
	for _, c := range configNames {
		if rel == c {
			return "winbake's own config: its images[].amis keep old AMIs in the lineage"
		}
	}
	return ""
}

// scanFile reads a file into buf (grown as needed and reused by the
// caller, so scanning allocates little) and keeps only what it found.
func scanFile(full, rel, skip string, buf *[]byte) (File, bool) {
	data, size, err := readSmall(full, buf)
	if err != nil {
		// Unread, it may hold a lineage AMI: say so rather than pass over it.
		return File{Path: rel, Skip: "could not be read: " + err.Error()}, true
	}
	if size == 0 {
		return File{}, false
	}
	if size > MaxFileSize {
		f, err := os.Open(full)
		if err != nil {
			return File{}, false
		}
		defer f.Close()
		toks, err := scanLarge(f)
		if err != nil || len(toks) == 0 {
			return File{}, false
		}
		return File{Path: rel, Tokens: toks, Skip: fmt.Sprintf("larger than %d MiB; not read whole", MaxFileSize>>20)}, true
	}
	if data == nil {
		return File{}, false // not a regular file any more
	}
	enc := sniff(data)
	switch enc {
	case Binary:
		// Never rewritten, but named if it holds an AMI of the lineage
		// (and what it holds counts as in use).
		toks := FindTokens(data)
		if len(toks) == 0 {
			return File{}, false
		}
		return File{Path: rel, Tokens: toks, Skip: "a binary file (it has NUL bytes); not rewritten"}, true
	case UTF16LE, UTF16BE, UTF16LEBOM, UTF16BEBOM:
		text, ok := enc.decode(data)
		if !ok {
			toks := FindTokens(text)
			if len(toks) == 0 {
				return File{}, false
			}
			return File{Path: rel, Tokens: toks, Skip: "UTF-16 that does not decode cleanly; cannot be rewritten byte for byte"}, true
		}
		data = text
	}
	toks := FindTokens(data)
	var floating []Note
	if skip == "" {
		floating = Floating(rel, data)
	}
	if len(toks) == 0 && len(floating) == 0 {
		return File{}, false
	}
	return File{Path: rel, Tokens: toks, Floating: floating, Skip: skip, Encoding: enc}, true
}
