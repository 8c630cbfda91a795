package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bakefile"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/imagebuilder"
	"github.com/winbake/winbake/internal/packerrun"
	"github.com/winbake/winbake/internal/plan"
)

func runBake(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bake", "[-c winbake.yaml] [--plan plan.json] [--out bake.json]", stderr)
	cfgFile := fs.String("c", "", "config `file` (default: winbake.yaml, .github/winbake.yaml, else the embedded default)")
	planFile := fs.String("plan", "", "bake exactly this reviewed plan `file` (default: plan now)")
	outFile := fs.String("out", "bake.json", "write what was baked to this `file`, for winbake bump")
	builder := fs.String("builder", "", "override the config's builder: imagebuilder or packer")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	if *builder != "" {
		cfg.Builder = *builder
	}
	if cfg.Builder != config.BuilderImageBuilder && cfg.Builder != config.BuilderPacker {
		return fmt.Errorf("--builder %q: expected imagebuilder or packer", cfg.Builder)
	}
	_, err = bake(ctx, cfg, *planFile, *outFile, stdout)
	return err
}

// bake plans (or reads the plan), bakes every image in parallel and writes
// bake.json with every image that baked, even when another failed.
func bake(ctx context.Context, cfg *config.Config, planFile, outFile string, log io.Writer) (*bakefile.File, error) {
	p, err := planFor(ctx, cfg, planFile, log)
	if err != nil {
		return nil, err
	}
	var baker interface {
		Bake(context.Context, *config.Config, config.Image, plan.Image) (bakefile.Image, error)
	}
	if cfg.Builder == config.BuilderPacker {
		baker = &packerrun.Runner{Log: &syncWriter{w: log}}
	} else {
		clients, err := awsclient.Load(ctx)
		if err != nil {
			return nil, err
		}
		ib := &imagebuilder.Baker{
			ImageBuilder: func(r string) imagebuilder.API { return clients.ImageBuilder(r) },
			EC2:          func(r string) imagebuilder.EC2API { return clients.EC2(r) },
			IAM:          clients.IAM(),
			STS:          clients.STS(""),
			Clock:        clockFor(),
			Log:          &syncWriter{w: log},
		}
		// Everything that can be checked is checked before anything is created.
		for _, img := range cfg.Images {
			if err := ib.Preflight(ctx, cfg, img); err != nil {
				return nil, err
			}
		}
		baker = ib
	}
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  bakefile.File
		errs []error
	)
	for _, img := range cfg.Images {
		ip, _ := p.Find(img.Name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			baked, err := baker.Bake(ctx, cfg, img, ip)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			out.Put(baked)
			for _, a := range baked.AMIs {
				fmt.Fprintf(log, "%s: %s %s\n", img.Name, a.Region, a.AMI)
			}
		}()
	}
	wg.Wait()
	if len(out.Images) > 0 {
		if err := out.Write(outFile); err != nil {
			return nil, err
		}
	}
	return &out, errors.Join(errs...)
}

// planFor reads a reviewed plan and checks it fits the config, or plans now.
func planFor(ctx context.Context, cfg *config.Config, file string, log io.Writer) (*plan.Plan, error) {
	if file != "" {
		p, err := plan.Read(file)
		if err != nil {
			return nil, err
		}
		if err := p.Covers(cfg); err != nil {
			return nil, fmt.Errorf("%s: %w", file, err)
		}
		return p, nil
	}
	planner, err := newPlanner(ctx)
	if err != nil {
		return nil, err
	}
	p, err := planner.Make(ctx, cfg)
	var problems plan.Problems
	if errors.As(err, &problems) {
		for _, line := range problems {
			fmt.Fprintln(log, "winbake: plan:", line)
		}
		return nil, fmt.Errorf("plan: %d problem(s); nothing baked", len(problems))
	}
	return p, err
}

// syncWriter lets parallel bakes share one log.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
