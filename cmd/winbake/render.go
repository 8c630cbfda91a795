package main

import (
	"context"
	"fmt"
	"io"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
)

func runRender(_ context.Context, _ pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("render", "[-c winbake.yaml] [--plan plan.json] [-o out/] [--account ID]", stderr)
	cfgFile := configFlag(fs)
	outDir := fs.String("o", "out", "output `directory`; each image gets a folder")
	planFile := fs.String("plan", "", "pin base AMIs and digests from this plan `file` (from winbake plan --json)")
	account := fs.String("account", "", "AWS account `ID` in the ARN of winbake's component in the recipe (default: a ${AWS_ACCOUNT_ID} placeholder)")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	return pipeline.Render(cfg, *planFile, *account, *outDir, stdout)
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
