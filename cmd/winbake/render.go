package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
)

func runRender(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", "[-c winbake.yaml] [--plan plan.json] [-o out/]", stderr)
	cfgFile := configFlag(fs)
	outDir := fs.String("o", "out", "output `directory`; each image gets a folder")
	planFile := fs.String("plan", "", "pin base AMIs and digests from this plan `file` (from winbake plan --json)")
	account := fs.String("account", "", "AWS account `ID` for our component's ARN in the recipe (default: a ${AWS_ACCOUNT_ID} placeholder)")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	pins, err := pinsFromPlan(cfg, *planFile)
	if err != nil {
		return err
	}
	files, err := components.Render(cfg, pins, *account)
	if err != nil {
		return err
	}
	return writeFiles(*outDir, files, stdout)
}

// pinsFromPlan reads what a plan pinned for each configured image.
func pinsFromPlan(cfg *config.Config, file string) (map[string]components.Pins, error) {
	if file == "" {
		return nil, nil
	}
	p, err := pipeline.ReadPlan(cfg, file)
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

// loadConfig loads the config and says when the embedded default is used.
func loadConfig(file string, stderr io.Writer) (*config.Config, error) {
	cfg, err := config.Find(file)
	if err != nil {
		return nil, err
	}
	if cfg.Source == "(default)" {
		fmt.Fprintln(stderr, "winbake: no winbake.yaml found; using the embedded default (Windows Server 2022 Core)")
	}
	return cfg, nil
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
