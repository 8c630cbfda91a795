// Package amiref finds the AMI IDs of an image's lineage in a repository,
// says where each one is (Terraform, eksctl, Karpenter, CloudFormation,
// Helm values, JSON), and rewrites exactly their bytes to the new AMIs.
package amiref

import (
	"bytes"
	"context"
	"errors"
	"io"
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
	Offset int // byte offset in the file
	Line   int // 1-based
	Column int // 1-based, in bytes
	AMI    string
}

// File is a scanned file with AMI IDs in it.
type File struct {
	Path   string // slash-separated, relative to the repository root
	Tokens []Token
	// Floating are references that resolve at deploy time (SSM, aliases);
	// those node groups never get a baked AMI.
	Floating []Note
}

// Note is something worth telling about a place in a file.
type Note struct {
	Line int
	Text string
}

// MaxFileSize skips files larger than this: no IaC file is 32 MiB, and it
// keeps memory bounded.
const MaxFileSize = 32 << 20

// skipDirs are never descended into.
var skipDirs = map[string]bool{".git": true, "vendor": true, "node_modules": true, ".terraform": true, ".terragrunt-cache": true}

// Scan walks paths under root and returns the files holding AMI IDs or
// floating references, sorted by path. Files are read in parallel; each is
// read once and only its matches are kept.
func Scan(ctx context.Context, root string, paths, exclude []string) ([]File, error) {
	files := make(chan string, 256)
	var walkErr error
	go func() {
		defer close(files)
		for _, p := range paths {
			start := filepath.Join(root, filepath.FromSlash(p))
			walkErr = filepath.WalkDir(start, func(full string, d fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if ctx.Err() != nil {
					return ctx.Err()
				}
				rel, _ := filepath.Rel(root, full)
				rel = filepath.ToSlash(rel)
				if d.IsDir() {
					if skipDirs[d.Name()] && full != start || excluded(rel, exclude) {
						return filepath.SkipDir
					}
					return nil
				}
				if d.Type().IsRegular() && !excluded(rel, exclude) {
					files <- rel
				}
				return nil
			})
			if walkErr != nil {
				return
			}
		}
	}()
	var (
		mu    sync.Mutex
		found []File
		wg    sync.WaitGroup
		seen  = map[string]bool{}
	)
	for range max(runtime.GOMAXPROCS(0), 2) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			for rel := range files {
				f, ok := scanFile(filepath.Join(root, filepath.FromSlash(rel)), rel, &buf)
				if !ok {
					continue
				}
				mu.Lock()
				if !seen[rel] {
					seen[rel] = true
					found = append(found, f)
				}
				mu.Unlock()
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

// scanFile reads a file into buf (grown as needed and reused by the
// caller, so scanning allocates little) and keeps only what it found.
func scanFile(full, rel string, buf *[]byte) (File, bool) {
	f, err := os.Open(full)
	if err != nil {
		return File{}, false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.Size() > MaxFileSize || st.Size() == 0 {
		return File{}, false
	}
	if int64(cap(*buf)) < st.Size() {
		*buf = make([]byte, st.Size())
	}
	n, err := io.ReadFull(f, (*buf)[:st.Size()])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return File{}, false
	}
	data := (*buf)[:n]
	if isBinary(data) {
		return File{}, false
	}
	toks := FindTokens(data)
	floating := floatingRefs(data)
	if len(toks) == 0 && len(floating) == 0 {
		return File{}, false
	}
	return File{Path: rel, Tokens: toks, Floating: floating}, true
}

// isBinary sniffs like git and grep -I: a NUL in the first 8000 bytes.
func isBinary(data []byte) bool {
	return bytes.IndexByte(data[:min(len(data), 8000)], 0) >= 0
}

// FindTokens finds every whole AMI ID in data: "ami-" and exactly 8 or 17
// lower-case hex digits, not inside a longer word. It looks for the hyphen,
// which is far rarer in text than the letter a.
func FindTokens(data []byte) []Token {
	var toks []Token
	line, lineStart, counted := 1, 0, 0
	for i := 0; ; {
		j := bytes.IndexByte(data[i:], '-')
		if j < 0 {
			return toks
		}
		dash := i + j
		i = dash + 1
		at := dash - 3
		if at < 0 || data[at] != 'a' || data[at+1] != 'm' || data[at+2] != 'i' || at > 0 && isWordByte(data[at-1]) {
			continue
		}
		n := 0
		for at+4+n < len(data) && isHex(data[at+4+n]) {
			n++
		}
		if n != 8 && n != 17 || at+4+n < len(data) && isWordByte(data[at+4+n]) {
			continue
		}
		// Count lines only up to each match: cheap on files with few.
		line += bytes.Count(data[counted:at], []byte{'\n'})
		if k := bytes.LastIndexByte(data[:at], '\n'); k >= 0 {
			lineStart = k + 1
		}
		counted = at
		toks = append(toks, Token{Offset: at, Line: line, Column: at - lineStart + 1, AMI: string(data[at : at+4+n])})
		i = at + 4 + n
	}
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' }

func isWordByte(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '-'
}

// floatingRefs finds AMI references resolved at deploy time.
func floatingRefs(data []byte) []Note {
	// Every floating form names SSM or an @latest alias; two cheap passes
	// rule out almost every file.
	if bytes.IndexByte(data, '@') < 0 && !bytes.Contains(data, []byte("ssm")) {
		return nil
	}
	var notes []Note
	for n, l := range bytes.Split(data, []byte{'\n'}) {
		s := string(l)
		switch {
		case strings.Contains(s, "resolve:ssm"):
			notes = append(notes, Note{n + 1, "CloudFormation dynamic reference (resolve:ssm): resolved at deploy time, not pinned to a baked AMI"})
		case strings.Contains(s, "auto-ssm"):
			notes = append(notes, Note{n + 1, "eksctl `ami: auto-ssm`: takes the stock EKS AMI from SSM, not the baked one"})
		case strings.Contains(s, "alias:") && strings.Contains(s, "windows") && strings.Contains(s, "@latest"):
			notes = append(notes, Note{n + 1, "Karpenter alias `" + strings.TrimSpace(s[strings.Index(s, "alias:")+6:]) + "`: the stock EKS AMI, not the baked one"})
		case strings.Contains(s, "/aws/service/ami-windows-latest/"):
			notes = append(notes, Note{n + 1, "reads the stock EKS AMI from its public SSM parameter, not the baked one"})
		}
	}
	return notes
}
