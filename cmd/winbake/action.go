package main

import (
	"context"
	"io"

	"github.com/winbake/winbake/internal/action"
	"github.com/winbake/winbake/internal/pipeline"
)

func runAction(ctx context.Context, host pipeline.Host, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("action", "", stderr)
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	return action.Run(ctx, host, stdout)
}
