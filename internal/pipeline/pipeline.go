// Package pipeline wires winbake's stages to their outside systems: plan
// (AWS, registries), bake (Image Builder or Packer) and bump (git, GitHub).
// The CLI and the GitHub Action both drive the stages through it.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/bake/packer"
	"github.com/winbake/winbake/internal/bump"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/ecr"
	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
)

// Clock is the bake's clock; tests replace it with simulated time.
var Clock = func() imagebuilder.Clock { return imagebuilder.RealClock{} }

// CheckCredentials proves there are AWS credentials before any stage runs.
func CheckCredentials(ctx context.Context) error {
	clients, err := awsclient.Load(ctx)
	if err != nil {
		return err
	}
	if _, err := imagebuilder.CallerIdentity(ctx, clients.STS("")); err != nil {
		return awsclient.Explain(err)
	}
	return nil
}

// NewPlanner wires the planner to AWS and the registries.
func NewPlanner(ctx context.Context) (*plan.Planner, error) {
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

// Plan plans every image; its problems are printed to log one per line.
func Plan(ctx context.Context, cfg *config.Config, log io.Writer) (*plan.Plan, error) {
	planner, err := NewPlanner(ctx)
	if err != nil {
		return nil, err
	}
	p, err := planner.Make(ctx, cfg)
	var problems plan.Problems
	if errors.As(err, &problems) {
		for _, line := range problems {
			fmt.Fprintln(log, "winbake: plan:", line)
		}
		return nil, fmt.Errorf("plan: %d problem(s)", len(problems))
	}
	return p, err
}

// ReadPlan reads a reviewed plan and checks that it fits the config.
func ReadPlan(cfg *config.Config, file string) (*plan.Plan, error) {
	p, err := plan.Read(file)
	if err != nil {
		return nil, err
	}
	if err := p.Covers(cfg); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	return p, nil
}

type baker interface {
	Bake(context.Context, *config.Config, config.Image, plan.Image) (bakefile.Image, error)
}

// Bake bakes every image in parallel with the config's builder and writes
// bake.json with every image that baked, even when another failed.
func Bake(ctx context.Context, cfg *config.Config, p *plan.Plan, outFile string, log io.Writer) (*bakefile.File, error) {
	log = &syncWriter{w: log}
	var b baker
	if cfg.Builder == config.BuilderPacker {
		b = &packer.Runner{Log: log}
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
			Clock:        Clock(),
			Log:          log,
		}
		// Everything that can be checked is checked before anything is created.
		for _, img := range cfg.Images {
			if err := ib.Preflight(ctx, cfg, img); err != nil {
				return nil, err
			}
		}
		b = ib
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
			baked, err := b.Bake(ctx, cfg, img, ip)
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

// Bump bumps each baked image, one pull request each.
func Bump(ctx context.Context, cfg *config.Config, baked []bakefile.Image, mode bump.Mode, dir string, getenv func(string) string, log io.Writer) ([]bump.Outcome, error) {
	clients, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	var outcomes []bump.Outcome
	var errs []error
	for _, b := range baked {
		img, ok := cfg.Image(b.Name)
		if !ok {
			errs = append(errs, fmt.Errorf("the bake has image %q, which %s does not list", b.Name, cfg.Source))
			continue
		}
		o, err := bump.Run(ctx, bump.Options{
			Dir: dir, Config: cfg, Image: img, Bake: b, Mode: mode,
			EC2: func(r string) amiref.EC2API { return clients.EC2(r) },
			GitHub: func(ctx context.Context, repo *git.Repo) (*github.Client, error) {
				return GitHubClient(ctx, repo, getenv)
			},
			Out: log,
		})
		outcomes = append(outcomes, o)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", b.Name, err))
		}
	}
	return outcomes, errors.Join(errs...)
}

// GitHubClient reads the token and repository from the environment, as
// GitHub Actions sets it, falling back to the origin remote.
func GitHubClient(ctx context.Context, repo *git.Repo, getenv func(string) string) (*github.Client, error) {
	token := getenv("GITHUB_TOKEN")
	if token == "" {
		return nil, errors.New("GITHUB_TOKEN is not set: a pull request needs a token with contents: write and pull-requests: write (or use --dry-run or --no-pr)")
	}
	name := getenv("GITHUB_REPOSITORY")
	if name == "" {
		u, err := repo.RemoteURL(ctx, "origin")
		if err != nil {
			return nil, err
		}
		var ok bool
		if name, ok = github.RepositoryFromRemote(u); !ok {
			return nil, fmt.Errorf("cannot tell the GitHub repository from origin %q; set GITHUB_REPOSITORY=owner/name", u)
		}
	}
	return github.New(token, getenv("GITHUB_API_URL"), name)
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
