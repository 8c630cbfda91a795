package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/report"
)

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
	p, err := pipeline.Plan(ctx, cfg, stderr)
	if err != nil {
		return fmt.Errorf("%w; nothing written", err)
	}
	for _, img := range p.Images {
		fmt.Fprintf(stdout, "%s: Kubernetes %s, Windows %s (build %s)\n", img.Name, img.Kubernetes, img.Windows, img.Build)
		for _, a := range img.BaseAMIs {
			fmt.Fprintf(stdout, "  base AMI %s  %s  %s\n", a.Region, a.AMI, a.Name)
		}
		for _, c := range img.Cache {
			fmt.Fprintf(stdout, "  cache %s@%s  %s\n", c.Ref, c.Digest, report.Bytes(c.Size))
			if c.Note != "" {
				fmt.Fprintf(stdout, "    note: %s\n", c.Note)
			}
		}
		for _, w := range img.Warnings {
			fmt.Fprintf(stdout, "  warning: %s\n", w)
		}
		fmt.Fprintf(stdout, "  each new node is spared pulling %s (%s more is on the AMI already)\n", report.Bytes(img.Totals.Pull), report.Bytes(img.Totals.Base))
	}
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
