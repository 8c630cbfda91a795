// Package action is winbake as a GitHub Action: it reads the action's
// inputs from the environment, runs plan, bake and bump (or prune), and reports
// through workflow commands: log groups, masks, annotations on the config
// file's lines, outputs and a job summary.
package action

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"

	"github.com/winbake/winbake/internal/bake"
	"github.com/winbake/winbake/internal/bump"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/report"
)

// Commands the action runs.
var commands = map[string]bool{"plan": true, "bake": true, "bump": true, "all": true, "prune": true}

// inputs are the action's inputs, as action.yml declares them.
type inputs struct {
	config, command, builder, bakeFile, token string
	dryRun, apply                             bool
	labels, reviewers                         []string
	draft                                     string
}

// underscored lets inputs be read as INPUT_GITHUB_TOKEN as well as the
// INPUT_GITHUB-TOKEN go-githubactions asks for: a composite action passes
// its inputs through env, where names with hyphens are awkward.
func underscored(getenv func(string) string) func(string) string {
	return func(k string) string {
		if v := getenv(k); v != "" {
			return v
		}
		return getenv(strings.ReplaceAll(k, "-", "_"))
	}
}

func list(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// Run runs the action. host.Getenv is the process environment in
// production and a map in tests.
func Run(ctx context.Context, host pipeline.Host, stdout io.Writer) error {
	getenv := underscored(host.Getenv)
	r := &runner{
		gha:    githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout)),
		getenv: getenv,
		stdout: stdout,
	}
	in, err := r.inputs()
	if err != nil {
		return err
	}
	cfg, err := r.config(in)
	if err != nil {
		return err
	}
	var baked *bake.File
	if in.command == "bump" {
		if baked, err = r.bakeFile(cfg, in); err != nil {
			return err
		}
	}
	// The bump reads the token from the input, not from the environment.
	host.Getenv = func(k string) string {
		if k == "GITHUB_TOKEN" {
			return in.token
		}
		return getenv(k)
	}
	env, err := host.Load(ctx)
	if err == nil {
		err = env.CheckCredentials(ctx)
	}
	if err != nil {
		return r.fail("winbake AWS credentials", "%v; give the job permissions: id-token: write", err)
	}
	out := filepath.Join(or(getenv("RUNNER_TEMP"), os.TempDir()), "winbake")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var summary strings.Builder
	summary.WriteString("## winbake\n\n")
	defer func() { r.gha.AddStepSummary(summary.String()) }()

	if in.command == "prune" {
		return r.prune(ctx, env, cfg, in.apply, &summary)
	}
	var p *plan.Plan
	if in.command != "bump" {
		if p, err = r.plan(ctx, env, cfg, out, &summary); err != nil {
			return err
		}
	}
	if in.command == "bake" || in.command == "all" {
		if baked, err = r.bake(ctx, env, cfg, p, out, &summary); err != nil {
			return err
		}
	}
	if in.command == "bump" || in.command == "all" {
		return r.bump(ctx, env, cfg, baked, in.dryRun, &summary)
	}
	return nil
}

// runner reports one run through workflow commands.
type runner struct {
	gha    *githubactions.Action
	getenv func(string) string
	stdout io.Writer
}

// fail annotates the error and returns it.
func (r *runner) fail(title, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	r.gha.WithFieldsMap(map[string]string{"title": title}).Errorf("%s", err)
	return err
}

// inputs reads and checks the inputs, and masks the secrets among them
// and in the environment.
func (r *runner) inputs() (inputs, error) {
	gha := r.gha
	in := inputs{
		config:    or(gha.GetInput("config"), ".github/winbake.yaml"),
		command:   or(gha.GetInput("command"), "all"),
		builder:   gha.GetInput("builder"),
		bakeFile:  gha.GetInput("bake-file"),
		token:     gha.GetInput("github-token"),
		labels:    list(gha.GetInput("labels")),
		reviewers: list(gha.GetInput("reviewers")),
		draft:     gha.GetInput("draft"),
	}
	for _, secret := range []string{in.token, r.getenv("AWS_SECRET_ACCESS_KEY"), r.getenv("AWS_SESSION_TOKEN")} {
		if secret != "" {
			gha.AddMask(secret)
		}
	}
	var err error
	if in.dryRun, err = parseBool(gha.GetInput("dry-run")); err != nil {
		return in, r.fail("winbake dry-run", "input dry-run: %v", err)
	}
	if in.apply, err = parseBool(gha.GetInput("apply")); err != nil {
		return in, r.fail("winbake apply", "input apply: %v", err)
	}
	if !commands[in.command] {
		return in, r.fail("winbake command", "input command: %q is not a winbake command; expected plan, bake, bump, all or prune", in.command)
	}
	if in.builder != "" {
		if err := bake.CheckBuilder(in.builder); err != nil {
			return in, r.fail("winbake builder", "input builder: %v", err)
		}
	}
	if in.draft != "" {
		if _, err := parseBool(in.draft); err != nil {
			return in, r.fail("winbake draft", "input draft: %v", err)
		}
	}
	return in, nil
}

// config loads the config, annotating its errors on their lines, and
// applies the inputs that override it.
func (r *runner) config(in inputs) (*config.Config, error) {
	workspace := r.workspace()
	cfgPath := r.inWorkspace(in.config)
	if _, err := os.Stat(cfgPath); err != nil {
		return nil, r.fail("winbake config", "config %s not found in the repository: add it (see examples/winbake.yaml) or point the config input at it", in.config)
	}
	cfg, err := config.Load(cfgPath)
	var cerrs config.Errors
	if errors.As(err, &cerrs) {
		for _, e := range cerrs {
			r.gha.WithFieldsMap(map[string]string{"file": r.repoPath(cfgPath), "line": strconv.Itoa(e.Line), "col": strconv.Itoa(e.Column), "title": "winbake.yaml"}).Errorf("%s: %s", e.Path, e.Msg)
		}
		return nil, fmt.Errorf("%s has %d error(s)", in.config, len(cerrs))
	}
	if err != nil {
		return nil, r.fail("winbake config", "%v", err)
	}
	if in.builder != "" {
		cfg.Builder = in.builder
	}
	// The Packer template ships with the action; a repository may bring its own.
	if ap := r.getenv("GITHUB_ACTION_PATH"); ap != "" && cfg.Packer.Template == config.DefaultPackerFile {
		if _, err := os.Stat(filepath.Join(workspace, cfg.Packer.Template)); err != nil {
			cfg.Packer.Template = filepath.Join(ap, config.DefaultPackerFile)
		}
	}
	if len(in.labels) > 0 {
		cfg.PullRequest.Labels = in.labels
	}
	if len(in.reviewers) > 0 {
		cfg.PullRequest.Reviewers = in.reviewers
	}
	if in.draft != "" {
		cfg.PullRequest.Draft, _ = parseBool(in.draft)
	}
	return cfg, nil
}

func (r *runner) workspace() string { return or(r.getenv("GITHUB_WORKSPACE"), ".") }

// inWorkspace is where a path input points: a relative path is in the
// workspace, an absolute one (another step's output) is where it says.
func (r *runner) inWorkspace(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(r.workspace(), p)
}

// repoPath is how annotations name a file: relative to the repository.
func (r *runner) repoPath(p string) string {
	if rel, err := filepath.Rel(r.workspace(), p); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return p
}

// bakeFile reads the bake-file input of a bump-only run.
func (r *runner) bakeFile(cfg *config.Config, in inputs) (*bake.File, error) {
	if in.bakeFile == "" {
		return nil, r.fail("winbake bake-file", "command bump needs the bake-file input: the bake.json of an earlier winbake bake (upload it as an artifact from the bake job)")
	}
	f, err := bake.ReadFor(cfg, r.inWorkspace(in.bakeFile))
	if err != nil {
		return nil, r.fail("winbake bake-file", "input bake-file: %v", err)
	}
	return f, nil
}

func (r *runner) plan(ctx context.Context, env *pipeline.Env, cfg *config.Config, out string, summary *strings.Builder) (*plan.Plan, error) {
	r.gha.Group("winbake plan")
	p, err := env.Plan(ctx, cfg, r.stdout)
	r.gha.EndGroup()
	if err != nil {
		return nil, r.fail("winbake plan", "%v", err)
	}
	planFile := filepath.Join(out, "plan.json")
	if err := p.Write(planFile); err != nil {
		return nil, err
	}
	r.gha.SetOutput("plan-file", planFile)
	summary.WriteString("### Plan\n\n" + report.PlanMarkdown(p))
	return p, nil
}

func (r *runner) bake(ctx context.Context, env *pipeline.Env, cfg *config.Config, p *plan.Plan, out string, summary *strings.Builder) (*bake.File, error) {
	r.gha.Group("winbake bake (" + cfg.Builder + ")")
	bakeFile := filepath.Join(out, "bake.json")
	baked, err := env.Bake(ctx, cfg, p, bakeFile, r.stdout)
	r.gha.EndGroup()
	if baked != nil && len(baked.Images) > 0 {
		r.gha.SetOutput("bake-file", bakeFile)
		r.gha.SetOutput("ami-ids", amiIDs(baked))
		summary.WriteString(report.BakeMarkdown(baked))
	}
	if err != nil {
		return nil, r.fail("winbake bake", "%v", err)
	}
	return baked, nil
}

func (r *runner) bump(ctx context.Context, env *pipeline.Env, cfg *config.Config, baked *bake.File, dryRun bool, summary *strings.Builder) error {
	r.gha.SetOutput("ami-ids", amiIDs(baked))
	mode := bump.PullRequest
	if dryRun {
		mode = bump.DryRun
	}
	r.gha.Group("winbake bump")
	outcomes, err := env.Bump(ctx, cfg, baked.Images, mode, r.workspace(), r.stdout)
	r.gha.EndGroup()
	setPROutputs(r.gha, cfg, outcomes)
	summary.WriteString(report.PRSummary(outcomes, dryRun))
	if err != nil {
		return r.fail("winbake bump", "%v", err)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func parseBool(s string) (bool, error) {
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, fmt.Errorf("%q is not true or false", s)
	}
	return b, nil
}

// amiIDs is the ami-ids output: {"image": {"region": "ami-..."}}.
func amiIDs(f *bake.File) string {
	m := map[string]map[string]string{}
	for _, img := range f.Images {
		m[img.Name] = map[string]string{}
		for _, a := range img.AMIs {
			m[img.Name][a.Region] = a.AMI
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// setPROutputs sets the pull request outputs. With several images each
// is a comma-separated list with one entry per image of the config, in
// its order, empty where an image has no pull request, so the lists line
// up.
func setPROutputs(gha *githubactions.Action, cfg *config.Config, outcomes []bump.Outcome) {
	var nums, urls, ops []string
	for _, img := range cfg.Images {
		o := bump.Outcome{Operation: report.None}
		for _, got := range outcomes {
			if got.Image == img.Name {
				o = got
			}
		}
		num := ""
		if o.Number > 0 {
			num = strconv.Itoa(o.Number)
		}
		nums, urls, ops = append(nums, num), append(urls, o.URL), append(ops, o.Operation)
	}
	gha.SetOutput("pull-request-number", strings.Join(nums, ","))
	gha.SetOutput("pull-request-url", strings.Join(urls, ","))
	gha.SetOutput("pull-request-operation", strings.Join(ops, ","))
}
