package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	gh "github.com/google/go-github/v79/github"
)

// explain turns a failed call into one line: what winbake was doing and
// GitHub's own reason, with what to do where winbake knows it.
func explain(what string, err error) error {
	var er *gh.ErrorResponse
	var rl *gh.RateLimitError
	var ab *gh.AbuseRateLimitError
	switch {
	case errors.As(err, &rl):
		return fmt.Errorf("%s: GitHub's rate limit is spent until %s (%s)", what, rl.Rate.Reset.UTC().Format("15:04:05 MST"), oneLine(rl.Message))
	case errors.As(err, &ab):
		return fmt.Errorf("%s: GitHub's secondary rate limit asks to wait %s, longer than winbake waits (%s); re-run later", what, ab.GetRetryAfter(), oneLine(ab.Message))
	case !errors.As(err, &er):
		return fmt.Errorf("%s: %s", what, oneLine(err.Error()))
	}
	msg := reason(er)
	status := er.Response.StatusCode
	if msg == "" {
		msg = http.StatusText(status) // a proxy's page, not GitHub's JSON
	}
	switch {
	case strings.Contains(msg, "not permitted to create or approve pull requests"):
		return fmt.Errorf("%s: GitHub Actions may not create pull requests in this repository: enable Settings → Actions → General → Workflow permissions → \"Allow GitHub Actions to create and approve pull requests\" (or use a GitHub App token)", what)
	case status == http.StatusUnauthorized:
		return fmt.Errorf("%s: GitHub refused the token (%s); check the github-token input", what, msg)
	case status == http.StatusForbidden || status == http.StatusNotFound:
		if need := accepted(er.Response.Header.Get("X-Accepted-GitHub-Permissions")); need != "" {
			return fmt.Errorf("%s: the token lacks %s (GitHub answered %d: %s)", what, need, status, msg)
		}
	}
	return fmt.Errorf("%s: GitHub answered %d: %s", what, status, msg)
}

// reason is GitHub's message with the details of a 422.
func reason(er *gh.ErrorResponse) string {
	parts := []string{er.Message}
	for _, e := range er.Errors {
		if e.Message != "" && e.Message != er.Message {
			parts = append(parts, e.Message)
		} else if e.Code != "" && e.Field != "" {
			parts = append(parts, fmt.Sprintf("%s %s %s", e.Resource, e.Field, e.Code))
		}
	}
	return oneLine(strings.Join(parts, ": "))
}

// accepted renders X-Accepted-GitHub-Permissions ("pull_requests=write",
// alternatives separated by ";") as a workflow's permissions block spells
// it: "pull-requests: write". From GitHub's changelog of 2023-08-10 and
// "Troubleshooting the REST API".
func accepted(h string) string {
	var sets []string
	for _, set := range strings.Split(h, ";") {
		var perms []string
		for _, p := range strings.Split(set, ",") {
			name, level, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || name == "" {
				continue
			}
			perms = append(perms, strings.ReplaceAll(name, "_", "-")+": "+level)
		}
		if len(perms) > 0 {
			sets = append(sets, strings.Join(perms, " and "))
		}
	}
	return strings.Join(sets, " or ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// maybeDone tells whether a failed request may still have been carried
// out: a 5xx, or a connection lost after the request was sent.
func maybeDone(err error) bool {
	var er *gh.ErrorResponse
	if errors.As(err, &er) {
		return er.Response.StatusCode >= 500
	}
	var refused *graphQLRefusal
	if errors.As(err, &refused) {
		return false
	}
	return err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// alreadyExists tells whether GitHub refused a pull request because one
// from the same head to the same base is open (422, "A pull request
// already exists for owner:branch.").
func alreadyExists(err error) bool {
	var er *gh.ErrorResponse
	return errors.As(err, &er) && er.Response.StatusCode == http.StatusUnprocessableEntity && strings.Contains(reason(er), "A pull request already exists")
}
