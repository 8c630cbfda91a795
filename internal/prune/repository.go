package prune

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/winbake/winbake/internal/amiref"
)

// chunk is how much of a file is read at once; overlap carries the end of
// one chunk into the next so that an ID split between them is found (an
// ID is at most 21 bytes, 42 in UTF-16).
const (
	chunk   = 4 << 20
	overlap = 64
)

// repositoryRefs maps every AMI ID written in the repository's files under
// paths, comments included, to where it is first written ("file:line").
// Writing an ID down keeps the AMI. bump.exclude does not apply: bump
// leaves those files alone, but a reference in them is still a reference.
// The files in ignore (paths as given, relative to the working directory)
// are skipped.
//
// Unlike bump, which only edits text it can rewrite, this reads every
// file: large ones, binary ones (and UTF-16 text, whose NULs make it look
// binary), and the files symlinks point to. A file or directory that
// cannot be read is an error naming it, as a reference in it would be
// missed; the map holds what was found all the same.
func repositoryRefs(ctx context.Context, root string, paths, ignore []string) (map[string]string, error) {
	if _, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("cannot read the repository %s: %w", root, err)
	}
	top, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("cannot read the repository %s: %w", root, err)
	}
	skip := map[string]bool{}
	for _, f := range ignore {
		if abs, err := filepath.Abs(f); err == nil {
			skip[abs] = true
		}
	}
	out := map[string]string{}
	var problems []string
	seenDirs := map[string]bool{}
	var walk func(start string) error
	walk = func(start string) error {
		return filepath.WalkDir(start, func(full string, d fs.DirEntry, err error) error {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			rel, _ := filepath.Rel(top, full)
			rel = filepath.ToSlash(rel)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", rel, err))
				return nil
			}
			if skip[full] {
				return nil
			}
			if d.IsDir() {
				if amiref.SkipDir(d.Name()) && full != start {
					return filepath.SkipDir
				}
				if real, err := filepath.EvalSymlinks(full); err == nil {
					seenDirs[real] = true
				}
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				st, err := os.Stat(full)
				switch {
				case errors.Is(err, fs.ErrNotExist):
					return nil // dangling: it holds nothing
				case err != nil:
					problems = append(problems, fmt.Sprintf("%s: %v", rel, err))
					return nil
				case st.IsDir():
					// Followed when it leads to a directory of the repository
					// not walked yet; outside the repository it is not ours.
					real, err := filepath.EvalSymlinks(full)
					if r, rerr := filepath.Rel(top, real); err != nil || rerr != nil || !filepath.IsLocal(r) || seenDirs[real] {
						return nil
					}
					seenDirs[real] = true
					return walk(real)
				}
			} else if !d.Type().IsRegular() {
				return nil // a pipe, socket or device holds no text
			}
			if err := scanRefs(full, rel, out); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %v", rel, err))
			}
			return nil
		})
	}
	for _, p := range paths {
		start := filepath.Join(top, filepath.FromSlash(p))
		if real, err := filepath.EvalSymlinks(start); err == nil && seenDirs[real] {
			continue
		}
		if err := walk(start); err != nil {
			return out, fmt.Errorf("cannot read the repository %s: %w", root, err)
		}
	}
	if len(problems) > 0 {
		return out, fmt.Errorf("cannot read in the repository %s: %s", root, strings.Join(problems, "; "))
	}
	return out, nil
}

// scanRefs adds the AMI IDs written in one file to out, a chunk at a time.
// Where a chunk has NULs it is also read with them dropped, which turns
// UTF-16 text into the ASCII an ID is written in.
func scanRefs(full, rel string, out map[string]string) error {
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	buf := make([]byte, 0, chunk+overlap)
	line := 0 // lines before buf
	for {
		n, err := io.ReadFull(f, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		last := err == io.EOF || err == io.ErrUnexpectedEOF
		if err != nil && !last {
			return err
		}
		texts := [][]byte{buf}
		if bytes.IndexByte(buf, 0) >= 0 {
			texts = append(texts, bytes.ReplaceAll(buf, []byte{0}, nil))
		}
		for _, text := range texts {
			for _, t := range amiref.FindTokens(text) {
				if _, ok := out[t.AMI]; !ok {
					out[t.AMI] = fmt.Sprintf("%s:%d", rel, line+t.Line)
				}
			}
		}
		if last {
			return nil
		}
		keep := min(overlap, len(buf))
		line += bytes.Count(buf[:len(buf)-keep], []byte{'\n'})
		buf = buf[:copy(buf, buf[len(buf)-keep:])]
	}
}
