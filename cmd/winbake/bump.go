package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/bump"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/report"
)

// amiFlags collects --ami REGION=AMI.
type amiFlags []bake.AMI

func (a *amiFlags) String() string { return fmt.Sprint(*a) }

func (a *amiFlags) Set(v string) error {
	region, ami, ok := strings.Cut(v, "=")
	if !ok || !config.AMIPattern.MatchString(ami) || region == "" {
		return fmt.Errorf("%q: expected REGION=AMI, such as us-east-1=ami-0123456789abcdef0", v)
	}
	*a = append(*a, bake.AMI{Region: region, AMI: ami})
	return nil
}

func runBump(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bump", "[-c winbake.yaml] (--bake bake.json | --image NAME --ami REGION=AMI ...) [--dry-run | --no-pr] [--repo DIR]", stderr)
	cfgFile := configFlag(fs)
	bakeFile := fs.String("bake", "", "the bake.json `file` of winbake bake")
	image := fs.String("image", "", "bump the image `NAME` to AMIs baked elsewhere (with --ami)")
	var amis amiFlags
	fs.Var(&amis, "ami", "`REGION=AMI` of the new AMI, repeated per region (with --image)")
	dryRun := fs.Bool("dry-run", false, "print what would change and touch nothing")
	noPR := fs.Bool("no-pr", false, "rewrite the working tree and stop: no commit, push or pull request")
	repoDir := fs.String("repo", ".", "the repository `DIR` to bump")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	mode := bump.PullRequest
	switch {
	case *dryRun && *noPR:
		return errors.New("--dry-run and --no-pr exclude each other")
	case *dryRun:
		mode = bump.DryRun
	case *noPR:
		mode = bump.NoPR
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	env, err := host.Load(ctx)
	if err != nil {
		return err
	}
	baked, err := bakedImages(ctx, env, cfg, *bakeFile, *image, amis)
	if err != nil {
		return err
	}
	outcomes, err := env.Bump(ctx, cfg, baked, mode, *repoDir, stdout)
	if mode == bump.PullRequest {
		fmt.Fprint(stdout, report.PROutcomes(outcomes))
	}
	return err
}

// bakedImages reads what to bump to: a bake.json, or AMIs given by hand.
func bakedImages(ctx context.Context, env *pipeline.Env, cfg *config.Config, bakeFile, image string, amis amiFlags) ([]bake.Image, error) {
	switch {
	case bakeFile != "" && image != "":
		return nil, errors.New("give --bake or --image, not both")
	case bakeFile != "":
		f, err := bake.ReadFor(cfg, bakeFile)
		if err != nil {
			return nil, err
		}
		return f.Images, nil
	case image != "":
		img, ok := cfg.Image(image)
		if !ok {
			var names []string
			for _, img := range cfg.Images {
				names = append(names, img.Name)
			}
			return nil, fmt.Errorf("--image %s: %s lists no such image (it has %s)", image, cfg.Source, strings.Join(names, ", "))
		}
		if len(amis) == 0 {
			return nil, errors.New("--image needs at least one --ami REGION=AMI")
		}
		b, err := env.FromAMIs(ctx, img, amis)
		if err != nil {
			return nil, err
		}
		return []bake.Image{b}, nil
	}
	return nil, errors.New("give --bake bake.json, or --image NAME with --ami REGION=AMI")
}
