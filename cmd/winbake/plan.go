package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/ecr"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
	"github.com/winbake/winbake/internal/report"
)

func runPlan(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("plan", "[-c winbake.yaml] [--json plan.json] [--markdown plan.md]", stderr)
	cfgFile := fs.String("c", "", "config `file` (default: winbake.yaml, .github/winbake.yaml, else the embedded default)")
	jsonFile := fs.String("json", "", "write the plan, the contract the bake follows, to this `file`")
	mdFile := fs.String("markdown", "", "write the plan as markdown (tables and a chart) to this `file`")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	planner, err := newPlanner(ctx)
	if err != nil {
		return err
	}
	p, err := planner.Make(ctx, cfg)
	var problems plan.Problems
	if errors.As(err, &problems) {
		for _, line := range problems {
			fmt.Fprintln(stderr, "winbake: plan:", line)
		}
		return fmt.Errorf("plan: %d problem(s); nothing written", len(problems))
	}
	if err != nil {
		return err
	}
	for _, img := range p.Images {
		fmt.Fprintf(stdout, "%s: Kubernetes %s, Windows %s (build %s)\n", img.Name, img.Kubernetes, img.Windows, img.Build)
		for _, a := range img.BaseAMIs {
			fmt.Fprintf(stdout, "  base AMI %s  %s  %s\n", a.Region, a.AMI, a.Name)
		}
		for _, c := range img.Cache {
			fmt.Fprintf(stdout, "  cache %s@%s  %s\n", c.Ref, c.Digest, report.Bytes(c.Size))
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

// newPlanner wires the planner to AWS and the registries.
func newPlanner(ctx context.Context) (*plan.Planner, error) {
	clients, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	resolver, err := registry.New(registry.Options{
		ECR: &ecr.Keychain{Client: func(region string) ecr.TokenAPI { return clients.ECR(region) }},
	})
	if err != nil {
		return nil, err
	}
	return &plan.Planner{
		SSM:      func(region string) plan.SSMAPI { return clients.SSM(region) },
		EC2:      func(region string) plan.EC2API { return clients.EC2(region) },
		Resolver: resolver,
	}, nil
}
