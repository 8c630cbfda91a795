package main

import (
	"context"
	"fmt"
	"io"

	"github.com/winbake/winbake/internal/pipeline"
	"github.com/winbake/winbake/internal/version"
)

func runVersion(_ context.Context, _ pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "", stderr)
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	fmt.Fprintln(stdout, "winbake", version.String())
	return nil
}
