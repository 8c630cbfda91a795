package report

import (
	"errors"
	"testing"
)

// TestPROutcomesSayWhatFailed: a failed bump names the failure instead of
// "pull request none" and an empty URL; a branch left alone says so.
func TestPROutcomesSayWhatFailed(t *testing.T) {
	got := PROutcomes([]Outcome{
		{Image: "win", Operation: Created, URL: "https://github.com/acme/infra/pull/1"},
		{Image: "edge", Operation: Failed, Err: errors.New("pushing winbake/edge: git push: unable to access 'https://github.com/acme/infra/': The requested URL returned error: 403 (the token needs contents: write)")},
		{Image: "old", Operation: LeftAlone, Branch: "winbake/old", URL: "https://github.com/acme/infra/pull/7"},
	})
	want := "win: pull request created https://github.com/acme/infra/pull/1\n" +
		"edge: pull request failed: pushing winbake/edge: git push: unable to access 'https://github.com/acme/infra/': The requested URL returned error: 403 (the token needs contents: write)\n" +
		"old: pull request left-alone https://github.com/acme/infra/pull/7: branch winbake/old has someone else's commits; left as it is\n"
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}
