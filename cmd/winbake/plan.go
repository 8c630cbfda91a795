package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/report"
)

func runPlan(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "[-c winbake.yaml] [--json plan.json] [--markdown plan.md]", stderr)
	cfgFile := configFlag(fs)
	jsonFile := fs.String("json", "", "write the plan, the contract the bake follows, to this `file`")
	mdFile := fs.String("markdown", "", "write the plan as markdown (tables and a chart) to this `file`")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	env, err := host.Load(ctx)
	if err != nil {
		return err
	}
	// Once, before every region reports the same missing credentials.
	if err := env.CheckCredentials(ctx); err != nil {
		return err
	}
	p, err := env.Plan(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("%w; nothing written", err)
	}
	fmt.Fprint(stdout, report.PlanText(p))
	if *jsonFile != "" {
		if err := p.Write(*jsonFile); err != nil {
			return err
		}
	}
	if *mdFile != "" {
		if err := os.WriteFile(*mdFile, []byte(report.PlanMarkdown(p)), 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", *mdFile, err)
		}
	}
	return nil
}
