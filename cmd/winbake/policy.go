package main

import (
	"context"
	"fmt"
	"io"
	"regexp"

	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/policy"
)

var accountRE = regexp.MustCompile(`^\d{12}$`)

func runPolicy(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("policy", "[-c winbake.yaml] [--account ID]", stderr)
	cfgFile := configFlag(fs)
	account := fs.String("account", "", "the AWS account `ID` (default: the credentials' account, else *)")
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	if *account != "" && !accountRE.MatchString(*account) {
		return fmt.Errorf("--account %q: expected a 12-digit AWS account ID", *account)
	}
	cfg, err := loadConfig(*cfgFile, stderr)
	if err != nil {
		return err
	}
	env, err := host.Load(ctx)
	if err != nil {
		return err
	}
	// The config's regions say which partition to ask, with or without
	// AWS_REGION.
	home := cfg.Images[0].BuildRegion()
	in, notes := policy.Lookup(ctx, cfg, policy.Inputs{Account: *account}, env.AWS.STS(home), env.AWS.IAM(home))
	for _, n := range notes {
		fmt.Fprintln(stderr, "winbake: policy:", n)
	}
	doc, err := policy.For(cfg, in)
	if err != nil {
		return err
	}
	if n := policy.Size(doc); n > policy.ManagedPolicyLimit {
		fmt.Fprintf(stderr, "winbake: policy: %d characters without white space, over the %d of a managed policy: attach it as an inline role policy (10,240 for all of a role's) or split its statements over two managed policies\n", n, policy.ManagedPolicyLimit)
	}
	b, err := policy.Marshal(doc)
	if err != nil {
		return err
	}
	_, err = stdout.Write(b)
	return err
}
