package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/prune"
	"github.com/winbake/winbake/internal/report"
)

// listFlag collects a repeated flag; commas separate values too.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

func runPrune(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("prune", "[-c winbake.yaml] [--repo DIR] [--image NAME] [--region REGION] [--keep N] [--min-age DURATION] [--apply] [--json FILE]", stderr)
	cfgFile := configFlag(fs)
	repo := fs.String("repo", ".", "the repository `DIR` whose files keep an AMI by naming its ID")
	var images, regions listFlag
	fs.Var(&images, "image", "prune only the image `NAME`, repeated for several (default: every configured image)")
	fs.Var(&regions, "region", "prune only the region `REGION`, repeated for several (default: each image's regions)")
	keep := fs.Int("keep", prune.DefaultKeep, "keep the newest `N` AMIs of each image and region (at least 1)")
	minAge := fs.String("min-age", prune.FormatAge(prune.DefaultMinAge), "keep AMIs younger than this `DURATION`: days (30d) or a Go duration (720h)")
	apply := fs.Bool("apply", false, "remove what no rule keeps; without it prune only reports")
	jsonFile := fs.String("json", "", "also write the report as JSON to `FILE`")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	age, err := prune.ParseAge(*minAge)
	if err != nil {
		return fmt.Errorf("--min-age: %w", err)
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	o := prune.Options{
		Config: cfg, Repo: *repo, Images: images, Regions: regions,
		Keep: *keep, MinAge: age, Apply: *apply, Log: stderr,
	}
	// The report names every AMI; written into the repository, it must not
	// keep them all on the next run.
	if *jsonFile != "" {
		o.Ignore = append(o.Ignore, *jsonFile)
	}
	env, err := host.Load(ctx)
	if err != nil {
		return err
	}
	res, err := env.Prune(ctx, o)
	if res != nil {
		fmt.Fprint(stdout, report.PruneText(res))
		if *jsonFile != "" {
			b, _ := json.MarshalIndent(res, "", "  ")
			if werr := os.WriteFile(*jsonFile, append(b, '\n'), 0o644); werr != nil && err == nil {
				err = fmt.Errorf("writing %s: %w", *jsonFile, werr)
			}
		}
	}
	return err
}
