// Command winbake bakes EKS Windows AMIs with pre-pulled container images
// and opens pull requests that roll them out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/pipeline"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, pipeline.System(os.Getenv), os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

// printError prints a failure. A config file's errors print one
// file:line:col line each, as editors and the README show them; anything
// else gets winbake's prefix.
func printError(w io.Writer, err error) {
	var cfgErrs config.Errors
	switch {
	case errors.Is(err, errReported):
	case errors.As(err, &cfgErrs) && cfgErrs.Error() == err.Error():
		fmt.Fprintln(w, err)
	default:
		fmt.Fprintln(w, "winbake:", err)
	}
}

// errReported means the details went to stderr already.
var errReported = errors.New("failed")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"action", "run as a GitHub Action: inputs from INPUT_* variables, plan, bake and bump (or prune), with annotations, outputs and a job summary", runAction},
		{"bake", "bake each image from the plan on EC2 Image Builder (resuming a build an earlier run started) or with Packer, and write bake.json", runBake},
		{"bump", "replace the image's old AMI IDs in the repository and open or update its pull request", runBump},
		{"plan", "find each image's base AMI and pin every image to cache to a digest for its Windows build, with sizes", runPlan},
		{"prune", "remove baked AMIs and their snapshots that no rule keeps (only reports without --apply)", runPrune},
		{"render", "write the Image Builder component, recipe and Packer variables of each image", runRender},
		{"policy", "print the least-privilege IAM policy the config needs (plan, bake on Image Builder, prune)", runPolicy},
		{"version", "print winbake's version", runVersion},
	}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `winbake bakes EKS-optimized Windows AMIs with the cluster's container images
pre-pulled into containerd, and opens pull requests that roll them out.

Usage:
  winbake <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run "winbake <command> -h" for a command's flags. Without -c, winbake reads
winbake.yaml or .github/winbake.yaml, or else its embedded default.
`)
}

// run runs one command; host is the machine it runs on.
func run(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		usage(stderr)
		return errors.New("no command given")
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, host, args[1:], stdout, stderr)
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

// newFlags makes a command's flag set; parse errors return, never exit.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, strings.TrimSpace("Usage: winbake "+name+" "+synopsis))
		if hasFlags(fs) {
			fmt.Fprint(stderr, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}

func hasFlags(fs *flag.FlagSet) bool {
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	return n > 0
}

// configFlag adds the -c flag every config-reading command takes.
func configFlag(fs *flag.FlagSet) *string {
	return fs.String("c", "", "config `file` (default: winbake.yaml, .github/winbake.yaml, else the embedded default)")
}

// parse parses flags and rejects stray arguments. -h is not an error.
func parse(fs *flag.FlagSet, args []string) (help bool, err error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errReported
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return false, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return false, nil
}
