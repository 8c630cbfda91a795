package github

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/testing/githubfake"
)

// sleeper records the waits instead of waiting.
type sleeper struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeper) sleep(_ context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return nil
}

func client(t *testing.T) (*Client, *githubfake.Server, *sleeper) {
	fake := githubfake.Start(t, "acme", "infra")
	s := &sleeper{}
	c, err := New(githubfake.Token, fake.URL(), "acme/infra", Options{Sleep: s.sleep})
	if err != nil {
		t.Fatal(err)
	}
	return c, fake, s
}

const marker = "<!-- winbake:image=win "

func newPR() NewPR {
	return NewPR{Title: "Bump", Body: marker + "ami=ami-1 -->\nbody", Head: "winbake/win", Base: "main", Marker: marker,
		Labels: []string{"windows"}, Reviewers: []string{"octocat"}, TeamReviewers: []string{"platform"}, Assignees: []string{"hubot"}}
}

func count(fake *githubfake.Server, method, suffix string) int {
	n := 0
	for _, r := range fake.Requests() {
		if r.Method == method && strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

func TestSecondaryRateLimitIsWaitedOut(t *testing.T) {
	c, fake, s := client(t)
	// GitHub: "If the retry-after response header is present, you should
	// not retry your request until after that many seconds has elapsed."
	fake.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/pulls", Status: 403, Times: 1,
		Message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", Headers: map[string]string{"Retry-After": "37"}})
	pr, err := c.Create(context.Background(), newPR())
	if err != nil || pr.Number != 1 || len(fake.PRs()) != 1 {
		t.Fatalf("%+v %v, %d PRs", pr, err, len(fake.PRs()))
	}
	if len(s.waits) != 1 || s.waits[0] != 37*time.Second {
		t.Errorf("waits %v, want the 37s GitHub asked for", s.waits)
	}
}

func TestPrimaryRateLimitWaitsForTheReset(t *testing.T) {
	c, fake, s := client(t)
	reset := time.Now().Add(90 * time.Second).Unix()
	fake.Inject(githubfake.Fault{Match: "GET /repos/acme/infra/pulls", Status: 429, Times: 1, Message: "API rate limit exceeded",
		Headers: map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": strconv.FormatInt(reset, 10)}})
	if _, err := c.FindPRs(context.Background(), "winbake/win", "open", marker); err != nil {
		t.Fatal(err)
	}
	if len(s.waits) != 1 || s.waits[0] < 80*time.Second || s.waits[0] > 91*time.Second {
		t.Errorf("waits %v, want about 90s", s.waits)
	}
}

// TestLastRequestOfTheHourIsNotTheEnd: an answer that spends the rate
// limit (X-RateLimit-Remaining: 0) is not a refusal; the next request
// still goes out, and when GitHub refuses it the wait is the reset.
// go-github alone would refuse it on the spot, without asking or waiting.
func TestLastRequestOfTheHourIsNotTheEnd(t *testing.T) {
	c, fake, s := client(t)
	reset := strconv.FormatInt(time.Now().Add(90*time.Second).Unix(), 10)
	spent := map[string]string{"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}
	fake.Inject(githubfake.Fault{Match: "PATCH /repos/acme/infra/pulls/1", Status: 200, Times: 1, Headers: spent})
	fake.Inject(githubfake.Fault{Match: "GET /repos/acme/infra/pulls", Status: 403, Times: 1, Message: "API rate limit exceeded", Headers: spent})
	if err := c.Update(context.Background(), 1, "t", "b"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FindPRs(context.Background(), "winbake/win", "open", marker); err != nil {
		t.Fatal(err)
	}
	if len(s.waits) != 1 || s.waits[0] < 80*time.Second {
		t.Errorf("waits %v, want about 90s", s.waits)
	}
}

func TestTooLongAWaitIsAnError(t *testing.T) {
	c, fake, s := client(t)
	fake.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/pulls", Status: 403, Times: 1,
		Message: "You have exceeded a secondary rate limit and have been temporarily blocked from content creation.", Headers: map[string]string{"Retry-After": "7200"}})
	_, err := c.Create(context.Background(), newPR())
	if err == nil || !strings.Contains(err.Error(), "secondary rate limit") || strings.Contains(err.Error(), "\n") || len(s.waits) != 0 {
		t.Fatalf("err %v, waits %v", err, s.waits)
	}
}

func TestReviewerWhoIsNotACollaborator(t *testing.T) {
	c, fake, s := client(t)
	fake.Collaborators = []string{"hubot"}
	pr, err := c.Create(context.Background(), newPR())
	want := "requesting reviews on pull request #1: GitHub answered 422: Reviews may only be requested from collaborators."
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	if pr.Number != 1 {
		t.Errorf("the created PR was not returned with the error: %+v", pr)
	}
	if n := count(fake, "POST", "/requested_reviewers"); n != 1 || len(s.waits) != 0 {
		t.Errorf("a final 422 was sent %d times, with waits %v", n, s.waits)
	}
}

func TestMissingPermissionIsNamed(t *testing.T) {
	c, fake, _ := client(t)
	fake.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/pulls", Status: 403, Times: 1, Message: "Resource not accessible by integration",
		Headers: map[string]string{"X-Accepted-GitHub-Permissions": "pull_requests=write"}})
	_, err := c.Create(context.Background(), newPR())
	if err == nil || err.Error() != "opening the pull request: the token lacks pull-requests: write (GitHub answered 403: Resource not accessible by integration)" {
		t.Fatalf("err = %v", err)
	}
}

func TestServerErrorAfterCreateOpensNoSecondPR(t *testing.T) {
	c, fake, _ := client(t)
	fake.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/pulls", Status: 502, Message: "Server Error", Times: 1, After: true})
	pr, err := c.Create(context.Background(), newPR())
	if err != nil || pr.Number != 1 {
		t.Fatalf("%+v %v", pr, err)
	}
	if prs := fake.PRs(); len(prs) != 1 || strings.Join(prs[0].Labels, ",") != "windows" {
		t.Errorf("PRs %+v", prs)
	}
	if n := count(fake, "POST", "/pulls"); n != 1 {
		t.Errorf("POST /pulls sent %d times", n)
	}
}

// TestServerErrorBeforeThePRIsListed: after the 5xx the new pull request
// is not listed yet, and asking again gets GitHub's "already exists": that
// is the pull request, not a failure.
func TestServerErrorBeforeThePRIsListed(t *testing.T) {
	c, fake, _ := client(t)
	fake.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/pulls", Status: 502, Message: "Server Error", Times: 1, After: true})
	fake.Unlisted = 1
	pr, err := c.Create(context.Background(), newPR())
	if err != nil || pr.Number != 1 {
		t.Fatalf("%+v %v", pr, err)
	}
	if prs := fake.PRs(); len(prs) != 1 || strings.Join(prs[0].Labels, ",") != "windows" {
		t.Errorf("PRs %+v", prs)
	}
}

func TestCommentOnce(t *testing.T) {
	c, fake, _ := client(t)
	if _, err := c.Create(context.Background(), newPR()); err != nil {
		t.Fatal(err)
	}
	fake.Inject(githubfake.Fault{Match: "POST /repos/acme/infra/issues/1/comments", Status: 500, Message: "Server Error", Times: 1, After: true})
	for range 3 {
		if _, err := c.Comment(context.Background(), 1, "<!-- note -->", "<!-- note -->\nhello"); err != nil {
			t.Fatal(err)
		}
	}
	if got := fake.PRs()[0].Comments; len(got) != 1 {
		t.Errorf("comments %q", got)
	}
}

func TestCompleteAddsOnlyWhatIsMissing(t *testing.T) {
	c, fake, _ := client(t)
	fake.Fail("POST /repos/acme/infra/issues/1/labels", 502, "Server Error", maxAttempts)
	_, err := c.Create(context.Background(), newPR())
	if err == nil {
		t.Fatal("labels failing for good did not fail")
	}
	fake.SetPR(1, func(p *githubfake.PR) { p.Reviewed = []string{"octocat"} }) // reviewed: no longer requested
	prs, err := c.FindPRs(context.Background(), "winbake/win", "open", marker)
	if err != nil || len(prs) != 1 {
		t.Fatal(prs, err)
	}
	added, err := c.Complete(context.Background(), prs[0], newPR())
	if err != nil || !added {
		t.Fatalf("added %v, %v", added, err)
	}
	pr := fake.PRs()[0]
	if strings.Join(pr.Labels, ",") != "windows" || strings.Join(pr.Assignees, ",") != "hubot" || len(pr.Reviewers) != 0 || len(pr.TeamReviewers) != 0 {
		t.Errorf("PR %+v", pr)
	}
	prs, _ = c.FindPRs(context.Background(), "winbake/win", "open", marker)
	before := len(fake.Writes())
	if added, err := c.Complete(context.Background(), prs[0], newPR()); err != nil || added || len(fake.Writes()) != before {
		t.Errorf("a complete PR: added %v, %v, writes %v", added, err, fake.Writes()[before:])
	}
}

func TestReadsAreRetriedOn5xx(t *testing.T) {
	c, fake, s := client(t)
	fake.Fail("GET /repos/acme/infra/pulls", 503, "Service Unavailable", 2)
	if _, err := c.FindPRs(context.Background(), "winbake/win", "open", marker); err != nil || len(s.waits) != 2 {
		t.Fatalf("%v, waits %v", err, s.waits)
	}
}

func gitIn(t *testing.T, dir string, stdin []byte, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Dev", "GIT_AUTHOR_EMAIL=dev@example.com", "GIT_COMMITTER_NAME=Dev", "GIT_COMMITTER_EMAIL=dev@example.com")
	if stdin != nil {
		cmd.Stdin = strings.NewReader(string(stdin))
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestCommitFilesKeepsModesAndBytes(t *testing.T) {
	c, fake, _ := client(t)
	root := t.TempDir()
	bare, work := filepath.Join(root, "origin.git"), filepath.Join(root, "work")
	gitIn(t, root, nil, "init", "--quiet", "--bare", "-b", "main", bare)
	gitIn(t, root, nil, "clone", "--quiet", bare, work)
	os.WriteFile(filepath.Join(work, "roll.sh"), []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(work, "latin1.tf"), []byte("# caf\xe9\n"), 0o644)
	gitIn(t, work, nil, "add", ".")
	gitIn(t, work, nil, "commit", "--quiet", "-m", "base")
	gitIn(t, work, nil, "push", "--quiet", "origin", "main")
	fake.GitDir = bare
	base := gitIn(t, bare, nil, "rev-parse", "main")

	files := map[string]File{
		"roll.sh":   {Content: []byte("#!/bin/sh\necho ami-0123456789abcdef0\n"), Mode: "100755"},
		"latin1.tf": {Content: []byte("# caf\xe9 ami-0123456789abcdef0\n"), Mode: "100644"},
	}
	sha, err := c.CommitFiles(context.Background(), "winbake/win", base, "", "Bump", files)
	if err != nil {
		t.Fatal(err)
	}
	if got := gitIn(t, bare, nil, "ls-tree", "winbake/win", "roll.sh"); !strings.HasPrefix(got, "100755 ") {
		t.Errorf("roll.sh lost its mode: %s", got)
	}
	if got := gitIn(t, bare, nil, "cat-file", "blob", "winbake/win:latin1.tf"); got != "# caf\xe9 ami-0123456789abcdef0" {
		t.Errorf("latin1.tf bytes changed: %q", got)
	}
	// The same files again give the same tree: a rerun finds nothing to do.
	local := gitIn(t, bare, nil, "rev-parse", sha+"^{tree}")
	os.WriteFile(filepath.Join(work, "roll.sh"), files["roll.sh"].Content, 0o755)
	os.WriteFile(filepath.Join(work, "latin1.tf"), files["latin1.tf"].Content, 0o644)
	gitIn(t, work, nil, "add", ".")
	if got := gitIn(t, work, nil, "write-tree"); got != local {
		t.Errorf("the API's tree %s differs from git's own %s", local, got)
	}

	// Someone pushes after winbake read the branch: their commit stays.
	gitIn(t, work, nil, "commit", "--quiet", "-m", "theirs")
	gitIn(t, work, nil, "push", "--quiet", "--force", "origin", "HEAD:winbake/win")
	theirs := gitIn(t, bare, nil, "rev-parse", "winbake/win")
	_, err = c.CommitFiles(context.Background(), "winbake/win", base, sha, "Bump", files)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v", err)
	}
	// GitHub's refusal is its answer: the mutation is not sent again.
	graphql := 0
	for _, r := range fake.Requests() {
		if r.Path == "/graphql" {
			graphql++
		}
	}
	if graphql != 2 {
		t.Errorf("%d GraphQL requests, want one per CommitFiles", graphql)
	}
	if now := gitIn(t, bare, nil, "rev-parse", "winbake/win"); now != theirs {
		t.Errorf("the branch moved to %s over a commit winbake had not seen", now)
	}
}
