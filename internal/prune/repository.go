package prune

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/winbake/winbake/internal/amiref"
)

// repositoryRefs maps every AMI ID written in the repository's files under
// paths, comments included, to where it is first written ("file:line").
// Writing an ID down keeps the AMI. bump.exclude does not apply: bump
// leaves those files alone, but a reference in them is still a reference.
// The files in ignore (paths as given, relative to the working directory)
// are skipped.
func repositoryRefs(ctx context.Context, root string, paths, ignore []string) (map[string]string, error) {
	if _, err := os.Stat(root); err != nil {
		return nil, fmt.Errorf("cannot read the repository %s: %w", root, err)
	}
	var exclude []string
	for _, f := range ignore {
		abs, err1 := filepath.Abs(f)
		top, err2 := filepath.Abs(root)
		if rel, err := filepath.Rel(top, abs); err1 == nil && err2 == nil && err == nil && filepath.IsLocal(rel) {
			exclude = append(exclude, filepath.ToSlash(rel))
		}
	}
	files, err := amiref.Scan(ctx, root, paths, exclude)
	if err != nil {
		return nil, fmt.Errorf("cannot read the repository %s: %w", root, err)
	}
	out := map[string]string{}
	for _, f := range files {
		for _, t := range f.Tokens {
			if _, ok := out[t.AMI]; !ok {
				out[t.AMI] = fmt.Sprintf("%s:%d", f.Path, t.Line)
			}
		}
	}
	return out, nil
}
