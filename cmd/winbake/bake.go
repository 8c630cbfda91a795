package main

import (
	"context"
	"fmt"
	"io"

	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/plan"
)

func runBake(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bake", "[-c winbake.yaml] [--plan plan.json] [--out bake.json] [--builder imagebuilder|packer]", stderr)
	cfgFile := configFlag(fs)
	planFile := fs.String("plan", "", "bake exactly this reviewed plan `file` (default: plan now)")
	outFile := fs.String("out", "bake.json", "write what was baked to this `file`, for winbake bump")
	builder := fs.String("builder", "", "override the config's `builder`: imagebuilder or packer")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	if *builder != "" {
		if err := bake.CheckBuilder(*builder); err != nil {
			return fmt.Errorf("--builder %w", err)
		}
		cfg.Builder = *builder
	}
	env, err := host.Load(ctx)
	if err != nil {
		return err
	}
	var p *plan.Plan
	if *planFile != "" {
		p, err = pipeline.ReadPlan(cfg, *planFile)
	} else {
		p, err = env.Plan(ctx, cfg, stderr)
	}
	if err != nil {
		return err
	}
	_, err = env.Bake(ctx, cfg, p, *outFile, stdout)
	return err
}
