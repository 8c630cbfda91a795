// Package pipeline wires winbake's stages to their outside systems: plan
// (AWS, registries), bake (Image Builder or Packer) and bump (git, GitHub).
// The CLI and the GitHub Action build one Env per run and drive the stages
// through it.
package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/winbake/winbake/internal/amiref"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/bake/imagebuilder"
	"github.com/winbake/winbake/internal/bump"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/ecr"
	"github.com/winbake/winbake/internal/git"
	"github.com/winbake/winbake/internal/github"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/registry"
)

// Host is what a run takes from the machine it runs on. Tests pass
// simulated time and a map for the environment.
type Host struct {
	Clock  imagebuilder.Clock
	Getenv func(string) string
}

// System is the real machine: the wall clock and the process environment.
func System(getenv func(string) string) Host {
	return Host{Clock: imagebuilder.RealClock{}, Getenv: getenv}
}

// Env is a run's outside world: the host and the AWS clients, loaded once
// for every stage.
type Env struct {
	Host
	AWS *awsclient.Clients
}

// Load reads the AWS configuration once for the whole run.
func (h Host) Load(ctx context.Context) (*Env, error) {
	clients, err := awsclient.Load(ctx)
	if err != nil {
		return nil, err
	}
	return &Env{Host: h, AWS: clients}, nil
}

// CheckCredentials proves there are AWS credentials before any stage runs.
func (e *Env) CheckCredentials(ctx context.Context) error {
	return awsclient.CheckCredentials(ctx, e.AWS.STS(""))
}

// Planner wires the planner to AWS and the registries.
func (e *Env) Planner() (*plan.Planner, error) {
	resolver, err := registry.New(registry.Options{
		ECR: &ecr.Keychain{Client: func(region string) ecr.TokenAPI { return e.AWS.ECR(region) }},
	})
	if err != nil {
		return nil, err
	}
	return &plan.Planner{
		SSM:      func(region string) plan.SSMAPI { return e.AWS.SSM(region) },
		EC2:      func(region string) plan.EC2API { return e.AWS.EC2(region) },
		Resolver: resolver,
	}, nil
}

// Plan plans every image; its problems are printed to log one per line.
func (e *Env) Plan(ctx context.Context, cfg *config.Config, log io.Writer) (*plan.Plan, error) {
	planner, err := e.Planner()
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

// Bake bakes every image of the plan and writes bake.json to outFile.
func (e *Env) Bake(ctx context.Context, cfg *config.Config, p *plan.Plan, outFile string, log io.Writer) (*bake.File, error) {
	return bake.Run(ctx, cfg, p, outFile, bake.Options{AWS: e.AWS, Clock: e.Clock, Log: log})
}

// Bump bumps each baked image in the repository at dir, one pull request
// each.
func (e *Env) Bump(ctx context.Context, cfg *config.Config, baked []bake.Image, mode bump.Mode, dir string, log io.Writer) ([]bump.Outcome, error) {
	return bump.Run(ctx, bump.Options{
		Dir: dir, Config: cfg, Mode: mode, Out: log,
		EC2: func(r string) amiref.EC2API { return e.AWS.EC2(r) },
		GitHub: func(ctx context.Context, repo *git.Repo) (bump.Hub, error) {
			return GitHub(ctx, repo, e.Getenv)
		},
	}, baked)
}

// FromAMIs describes AMIs baked elsewhere from what EC2 knows of them.
func (e *Env) FromAMIs(ctx context.Context, img config.Image, amis []bake.AMI) (bake.Image, error) {
	return bump.FromAMIs(ctx, func(r string) amiref.EC2API { return e.AWS.EC2(r) }, img, amis)
}

// GitHub reads the token from the environment, as GitHub Actions sets
// it, and the repository from the origin remote, falling back to
// GITHUB_REPOSITORY. In Actions
// (GITHUB_SERVER_URL set) git also pushes to that server with this token,
// whatever credentials actions/checkout persisted; elsewhere git pushes to
// origin with the user's own credentials.
func GitHub(ctx context.Context, repo *git.Repo, getenv func(string) string) (bump.Hub, error) {
	token := getenv("GITHUB_TOKEN")
	if token == "" {
		return bump.Hub{}, errors.New("GITHUB_TOKEN is not set: a pull request needs a token with contents: write and pull-requests: write (or use --dry-run or --no-pr)")
	}
	// The repository bumped is the checkout's: a workflow may check out
	// another repository than its own (actions/checkout's repository
	// input), and GITHUB_REPOSITORY names the workflow's.
	u, err := repo.RemoteURL(ctx, "origin")
	name, ok := github.RepositoryFromRemote(u)
	if !ok {
		name = getenv("GITHUB_REPOSITORY")
	}
	if name == "" {
		if err != nil {
			return bump.Hub{}, fmt.Errorf("%w; set GITHUB_REPOSITORY=owner/name", err)
		}
		return bump.Hub{}, fmt.Errorf("cannot tell the GitHub repository from origin %q; set GITHUB_REPOSITORY=owner/name", u)
	}
	client, err := github.New(token, getenv("GITHUB_API_URL"), name)
	if err != nil {
		return bump.Hub{}, err
	}
	remote := git.Remote{URL: "origin"}
	if server := strings.TrimRight(getenv("GITHUB_SERVER_URL"), "/"); server != "" {
		remote = git.HTTPSRemote(server, name, token)
	}
	return bump.Hub{Client: client, Remote: remote}, nil
}
