package main

import (
	"context"
	"io"
	"os"

	"github.com/winbake/winbake/internal/action"
)

func runAction(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("action", "", stderr)
	if help, err := parse(fs, args); help || err != nil {
		return err
	}
	return action.Run(ctx, os.Getenv, stdout)
}
