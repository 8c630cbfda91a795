// Package action is winbake as a GitHub Action: it reads the action's
// inputs from the environment, runs plan, bake and bump, and reports
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

	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/bump"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/plan"
	"github.com/winbake/winbake/internal/report"
)

// Commands the action runs.
var commands = map[string]bool{"plan": true, "bake": true, "bump": true, "all": true}

// inputs are the action's inputs, as action.yml declares them.
type inputs struct {
	config, command, builder, bakeFile, token string
	dryRun                                    bool
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

// Run runs the action. getenv is the process environment in production
// and a map in tests.
func Run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	getenv = underscored(getenv)
	gha := githubactions.New(githubactions.WithGetenv(getenv), githubactions.WithWriter(stdout))
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
	for _, secret := range []string{in.token, getenv("AWS_SECRET_ACCESS_KEY"), getenv("AWS_SESSION_TOKEN")} {
		if secret != "" {
			gha.AddMask(secret)
		}
	}
	fail := func(title, format string, args ...any) error {
		err := fmt.Errorf(format, args...)
		gha.WithFieldsMap(map[string]string{"title": title}).Errorf("%s", err)
		return err
	}
	var err error
	if in.dryRun, err = parseBool(gha.GetInput("dry-run")); err != nil {
		return fail("winbake dry-run", "input dry-run: %v", err)
	}
	if !commands[in.command] {
		return fail("winbake command", "input command: %q is not a winbake command; expected plan, bake, bump or all", in.command)
	}
	if in.builder != "" && in.builder != config.BuilderImageBuilder && in.builder != config.BuilderPacker {
		return fail("winbake builder", "input builder: %q; expected imagebuilder or packer", in.builder)
	}
	if in.draft != "" {
		if _, err := parseBool(in.draft); err != nil {
			return fail("winbake draft", "input draft: %v", err)
		}
	}
	workspace := or(getenv("GITHUB_WORKSPACE"), ".")
	cfgPath := filepath.Join(workspace, in.config)
	if _, err := os.Stat(cfgPath); err != nil {
		return fail("winbake config", "config %s not found in the repository: add it (see examples/winbake.yaml) or point the config input at it", in.config)
	}
	cfg, err := config.Load(cfgPath)
	var cerrs config.Errors
	if errors.As(err, &cerrs) {
		for _, e := range cerrs {
			gha.WithFieldsMap(map[string]string{"file": in.config, "line": strconv.Itoa(e.Line), "col": strconv.Itoa(e.Column), "title": "winbake.yaml"}).Errorf("%s: %s", e.Path, e.Msg)
		}
		return fmt.Errorf("%s has %d error(s)", in.config, len(cerrs))
	}
	if err != nil {
		return fail("winbake config", "%v", err)
	}
	if in.builder != "" {
		cfg.Builder = in.builder
	}
	// The Packer template ships with the action; a repository may bring its own.
	if ap := getenv("GITHUB_ACTION_PATH"); ap != "" && cfg.Packer.Template == config.DefaultPackerFile {
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
	var baked *bakefile.File
	if in.command == "bump" {
		if in.bakeFile == "" {
			return fail("winbake bake-file", "command bump needs the bake-file input: the bake.json of an earlier winbake bake (upload it as an artifact from the bake job)")
		}
		if baked, err = bakefile.Read(filepath.Join(workspace, in.bakeFile)); err != nil {
			return fail("winbake bake-file", "input bake-file: %v", err)
		}
	}
	if err := pipeline.CheckCredentials(ctx); err != nil {
		return fail("winbake AWS credentials", "%v; give the job permissions: id-token: write", err)
	}

	out := or(getenv("RUNNER_TEMP"), os.TempDir())
	out = filepath.Join(out, "winbake")
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	var summary strings.Builder
	summary.WriteString("## winbake\n\n")
	defer func() { gha.AddStepSummary(summary.String()) }()

	var p *plan.Plan
	if in.command != "bump" {
		gha.Group("winbake plan")
		p, err = pipeline.Plan(ctx, cfg, stdout)
		gha.EndGroup()
		if err != nil {
			return fail("winbake plan", "%v", err)
		}
		planFile := filepath.Join(out, "plan.json")
		if err := p.Write(planFile); err != nil {
			return err
		}
		gha.SetOutput("plan-file", planFile)
		summary.WriteString("### Plan\n\n" + report.PlanMarkdown(p))
	}
	if in.command == "bake" || in.command == "all" {
		gha.Group("winbake bake (" + cfg.Builder + ")")
		bakeFile := filepath.Join(out, "bake.json")
		baked, err = pipeline.Bake(ctx, cfg, p, bakeFile, stdout)
		gha.EndGroup()
		if baked != nil && len(baked.Images) > 0 {
			gha.SetOutput("bake-file", bakeFile)
			gha.SetOutput("ami-ids", amiIDs(baked))
			summary.WriteString(bakeTable(baked))
		}
		if err != nil {
			return fail("winbake bake", "%v", err)
		}
	}
	if in.command == "bump" || in.command == "all" {
		gha.SetOutput("ami-ids", amiIDs(baked))
		mode := bump.PullRequest
		if in.dryRun {
			mode = bump.DryRun
		}
		env := func(k string) string {
			if k == "GITHUB_TOKEN" {
				return in.token
			}
			return getenv(k)
		}
		gha.Group("winbake bump")
		outcomes, err := pipeline.Bump(ctx, cfg, baked.Images, mode, workspace, env, stdout)
		gha.EndGroup()
		setPROutputs(gha, outcomes)
		summary.WriteString(prSummary(outcomes, in.dryRun))
		if err != nil {
			return fail("winbake bump", "%v", err)
		}
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
func amiIDs(f *bakefile.File) string {
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

func bakeTable(f *bakefile.File) string {
	var b strings.Builder
	b.WriteString("### Baked\n\n| image | region | AMI | built with |\n|---|---|---|---|\n")
	for _, img := range f.Images {
		for _, a := range img.AMIs {
			fmt.Fprintf(&b, "| %s | %s | `%s` | %s |\n", img.Name, a.Region, a.AMI, img.Builder)
		}
	}
	return b.String() + "\n"
}

// setPROutputs sets the pull request outputs; with several images, the
// values are comma-separated in config order.
func setPROutputs(gha *githubactions.Action, outcomes []bump.Outcome) {
	var nums, urls, ops []string
	for _, o := range outcomes {
		if o.Number > 0 {
			nums = append(nums, strconv.Itoa(o.Number))
			urls = append(urls, o.URL)
		}
		ops = append(ops, o.Operation)
	}
	gha.SetOutput("pull-request-number", strings.Join(nums, ","))
	gha.SetOutput("pull-request-url", strings.Join(urls, ","))
	gha.SetOutput("pull-request-operation", strings.Join(ops, ","))
}

func prSummary(outcomes []bump.Outcome, dryRun bool) string {
	var b strings.Builder
	b.WriteString("### Pull requests\n\n")
	if dryRun {
		b.WriteString("Dry run: nothing was pushed.\n\n")
	}
	for _, o := range outcomes {
		switch {
		case o.URL != "":
			fmt.Fprintf(&b, "- %s: [#%d](%s) %s, %d change(s)\n", o.Image, o.Number, o.URL, o.Operation, o.Changes)
		default:
			fmt.Fprintf(&b, "- %s: %s, %d change(s)\n", o.Image, o.Operation, o.Changes)
		}
	}
	return b.String()
}
