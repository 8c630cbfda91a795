package amiref

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// Write writes the new contents under root, refusing any path that leads
// outside it (through a symlink or ".."), and keeping each file's mode.
func Write(root string, contents map[string][]byte) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("resolving %s: %w", root, err)
	}
	if realRoot, err = filepath.Abs(realRoot); err != nil {
		return err
	}
	names := make([]string, 0, len(contents))
	for n := range contents {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		full := filepath.Join(realRoot, filepath.FromSlash(n))
		real, err := filepath.EvalSymlinks(full)
		if err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
		if real != full || !within(realRoot, real) {
			return fmt.Errorf("writing %s: it resolves to %s, outside the repository or through a symlink; not written", n, real)
		}
		st, err := os.Lstat(full)
		if err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
		if err := os.WriteFile(full, contents[n], st.Mode().Perm()); err != nil {
			return fmt.Errorf("writing %s: %w", n, err)
		}
	}
	return nil
}
