package pipeline

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/config"
)

// Render writes each image's component, recipe and Packer variables under
// outDir, pinned to a reviewed plan when planFile is set, and prints each
// file's path.
func Render(cfg *config.Config, planFile, account, outDir string, stdout io.Writer) error {
	pins, err := pinsFromPlan(cfg, planFile)
	if err != nil {
		return err
	}
	files, err := components.Render(cfg, pins, account)
	if err != nil {
		return err
	}
	return writeFiles(outDir, files, stdout)
}

// pinsFromPlan reads what a plan pinned for each configured image.
func pinsFromPlan(cfg *config.Config, file string) (map[string]components.Pins, error) {
	if file == "" {
		return nil, nil
	}
	p, err := ReadPlan(cfg, file)
	if err != nil {
		return nil, err
	}
	pins := map[string]components.Pins{}
	for _, img := range cfg.Images {
		ip, _ := p.Find(img.Name)
		pins[img.Name] = components.PinsOf(img, ip)
	}
	return pins, nil
}

// writeFiles writes rendered files under dir, in a stable order.
func writeFiles(dir string, files map[string][]byte, stdout io.Writer) error {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", filepath.Dir(p), err)
		}
		if err := os.WriteFile(p, files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", p, err)
		}
		fmt.Fprintln(stdout, p)
	}
	return nil
}
