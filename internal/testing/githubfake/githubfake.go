// Package githubfake is an httptest fake of the GitHub REST endpoints
// winbake uses (and GraphQL's updateRefs), answering with GitHub's status
// codes, error bodies and headers, and with faults on demand. Sources:
// the REST API reference on docs.github.com for each endpoint (pulls,
// issues, git), "Rate limits for the REST API" (Retry-After, 403/429) and
// "Troubleshooting the REST API" (X-Accepted-GitHub-Permissions).
package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the only token the fake accepts.
const Token = "ghs_faketoken0123456789"

// BotName and BotEmail are the identity of Token, a GitHub App's
// installation token: the author of the commits GitHub makes for it.
const (
	BotName  = "acme-winbake[bot]"
	BotEmail = "41898282+acme-winbake[bot]@users.noreply.github.com"
)

// PR is a pull request the fake holds.
type PR struct {
	Number              int
	Title, Body         string
	Head, Base          string
	State               string // open, closed
	Merged, Draft       bool
	Labels, Reviewers   []string
	TeamReviewers       []string
	Assignees, Comments []string
	// Reviewed are the logins that submitted a review.
	Reviewed []string
}

// Request is one request the fake answered.
type Request struct {
	Method, Path string
	Status       int
}

// Write tells whether the request asked GitHub to change something.
func (r Request) Write() bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return false
	}
	return true
}

// Fault is a failure to answer with, instead of (or after) serving.
type Fault struct {
	// Match is the end of "METHOD /path" of the requests it hits.
	Match   string
	Status  int
	Message string
	// Times is how many requests it hits.
	Times int
	// Headers are sent with the answer (Retry-After,
	// X-Accepted-GitHub-Permissions…).
	Headers map[string]string
	// After carries the request out first, then fails: a 5xx after GitHub
	// created the thing.
	After bool
}

// Server is the fake.
type Server struct {
	mu       sync.Mutex
	prs      []*PR
	requests []Request
	faults   []*Fault
	srv      *httptest.Server
	Owner    string
	Repo     string
	// GitDir is the bare repository behind the Git data API.
	GitDir string
	// SignedCommits are the commits GitHub signed: made through the Git
	// data API without a custom author or committer.
	SignedCommits []string
	// Collaborators may be asked for reviews; nil allows anyone.
	Collaborators []string
	// Unlisted is how many lists of pull requests leave out the newest:
	// a 5xx is often a timeout, after which GitHub may still be opening
	// the pull request, not yet listed.
	Unlisted int
}

// Start runs a fake for owner/repo until the test ends.
func Start(t testing.TB, owner, repo string) *Server {
	s := &Server{Owner: owner, Repo: repo}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the API base URL (GITHUB_API_URL).
func (s *Server) URL() string { return s.srv.URL }

// Fail makes the next times requests whose "METHOD path" ends with match
// fail with status and GitHub's error body.
func (s *Server) Fail(match string, status int, msg string, times int) {
	s.Inject(Fault{Match: match, Status: status, Message: msg, Times: times})
}

// Inject adds a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// PRs returns copies of the pull requests.
func (s *Server) PRs() []PR {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []PR
	for _, p := range s.prs {
		out = append(out, *p)
	}
	return out
}

// SetPR changes a pull request, as a person on GitHub would.
func (s *Server) SetPR(number int, f func(*PR)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s.prs[number-1])
}

// Requests returns the requests so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Writes returns the requests so far that asked for a change.
func (s *Server) Writes() []Request {
	var out []Request
	for _, r := range s.Requests() {
		if r.Write() {
			out = append(out, r)
		}
	}
	return out
}

var (
	repoRE      = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)$`)
	pullsRE     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls$`)
	pullRE      = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls/(\d+)$`)
	reviewRE    = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls/(\d+)/(requested_reviewers|reviews)$`)
	issuePartRE = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/issues/(\d+)/(labels|assignees|comments)$`)
)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status := s.serve(w, r)
	s.mu.Lock()
	s.requests = append(s.requests, Request{r.Method, r.URL.Path, status})
	s.mu.Unlock()
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return status
}

// ghError is GitHub's error body: message, documentation_url, status.
func ghError(w http.ResponseWriter, status int, msg string) int {
	return writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

// validation is GitHub's 422: "Validation Failed" with the reason in
// errors[].
func validation(w http.ResponseWriter, resource, msg string) int {
	return writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": resource, "code": "custom", "message": msg}},
		"documentation_url": "https://docs.github.com/rest", "status": "422"})
}

// fault finds the fault a request hits, if any.
func (s *Server) fault(r *http.Request) *Fault {
	for _, f := range s.faults {
		if f.Times > 0 && strings.HasSuffix(r.Method+" "+r.URL.Path, f.Match) {
			f.Times--
			return f
		}
	}
	return nil
}

func (s *Server) answerFault(w http.ResponseWriter, f *Fault) int {
	for k, v := range f.Headers {
		w.Header().Set(k, v)
	}
	if f.Status == 422 {
		return validation(w, "PullRequest", f.Message)
	}
	return ghError(w, f.Status, f.Message)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) int {
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+Token && auth != "token "+Token {
		return ghError(w, 401, "Bad credentials")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.fault(r)
	if f != nil && !f.After {
		return s.answerFault(w, f)
	}
	var raw any
	_ = json.NewDecoder(r.Body).Decode(&raw)
	body, _ := raw.(map[string]any)
	if list, ok := raw.([]any); ok { // labels may come as a bare array
		body = map[string]any{"labels": list}
	}
	if f != nil {
		// Carry the request out, then answer with the fault.
		s.route(httptest.NewRecorder(), r, body)
		return s.answerFault(w, f)
	}
	return s.route(w, r, body)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, body map[string]any) int {
	if status, ok := s.serveGitData(w, r, body); ok {
		return status
	}
	owner, repo := s.Owner, s.Repo
	check := func(m []string) bool { return m != nil && m[1] == owner && m[2] == repo }
	switch p := r.URL.Path; {
	case check(repoRE.FindStringSubmatch(p)) && r.Method == "GET":
		return writeJSON(w, 200, map[string]any{"name": repo, "full_name": owner + "/" + repo, "node_id": s.nodeID(), "default_branch": "main"})
	case check(pullsRE.FindStringSubmatch(p)) && r.Method == "GET":
		q := r.URL.Query()
		list := []map[string]any{}
		prs := s.prs
		if s.Unlisted > 0 && len(prs) > 0 {
			s.Unlisted--
			prs = prs[:len(prs)-1]
		}
		for _, pr := range prs {
			if (q.Get("state") == "" || q.Get("state") == "all" || q.Get("state") == pr.State) && (q.Get("head") == "" || q.Get("head") == owner+":"+pr.Head) {
				list = append(list, s.view(pr))
			}
		}
		return writeJSON(w, 200, list)
	case check(pullsRE.FindStringSubmatch(p)) && r.Method == "POST":
		head, base := fmt.Sprint(body["head"]), fmt.Sprint(body["base"])
		for _, pr := range s.prs {
			if pr.State == "open" && pr.Head == head && pr.Base == base {
				return validation(w, "PullRequest", "A pull request already exists for "+owner+":"+head+".")
			}
		}
		if s.GitDir != "" {
			// GitHub refuses a pull request from a branch it does not have.
			if _, err := s.git(nil, nil, "rev-parse", "--verify", "-q", "refs/heads/"+head); err != nil {
				return writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": "PullRequest", "field": "head", "code": "invalid"}},
					"documentation_url": "https://docs.github.com/rest/pulls/pulls#create-a-pull-request", "status": "422"})
			}
		}
		draft, _ := body["draft"].(bool)
		pr := &PR{Number: len(s.prs) + 1, Title: fmt.Sprint(body["title"]), Body: fmt.Sprint(body["body"]), Head: head, Base: base, State: "open", Draft: draft}
		s.prs = append(s.prs, pr)
		return writeJSON(w, 201, s.view(pr))
	case check(pullRE.FindStringSubmatch(p)) && r.Method == "PATCH":
		pr := s.pr(pullRE.FindStringSubmatch(p)[3])
		if pr == nil {
			return ghError(w, 404, "Not Found")
		}
		if v, ok := body["title"].(string); ok {
			pr.Title = v
		}
		if v, ok := body["body"].(string); ok {
			pr.Body = v
		}
		if v, ok := body["state"].(string); ok {
			pr.State = v
		}
		return writeJSON(w, 200, s.view(pr))
	case check(reviewRE.FindStringSubmatch(p)):
		m := reviewRE.FindStringSubmatch(p)
		pr := s.pr(m[3])
		switch {
		case pr == nil:
			return ghError(w, 404, "Not Found")
		case m[4] == "reviews" && r.Method == "GET":
			list := []map[string]any{}
			for i, login := range pr.Reviewed {
				list = append(list, map[string]any{"id": i + 1, "user": map[string]any{"login": login}, "state": "COMMENTED"})
			}
			return writeJSON(w, 200, list)
		case m[4] == "requested_reviewers" && r.Method == "POST":
			users := strs(body["reviewers"])
			for _, u := range users {
				if s.Collaborators != nil && !slices.Contains(s.Collaborators, u) {
					// The documented 422 of "Request reviewers for a pull request".
					return ghError(w, 422, "Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the "+owner+"/"+repo+" repository.")
				}
			}
			pr.Reviewers = appendNew(pr.Reviewers, users...)
			pr.TeamReviewers = appendNew(pr.TeamReviewers, strs(body["team_reviewers"])...)
			return writeJSON(w, 201, s.view(pr))
		}
	case check(issuePartRE.FindStringSubmatch(p)):
		m := issuePartRE.FindStringSubmatch(p)
		pr := s.pr(m[3])
		if pr == nil {
			return ghError(w, 404, "Not Found")
		}
		switch {
		case m[4] == "labels" && r.Method == "POST":
			pr.Labels = appendNew(pr.Labels, strs(body["labels"])...)
			return writeJSON(w, 200, labelViews(pr.Labels))
		case m[4] == "assignees" && r.Method == "POST":
			pr.Assignees = appendNew(pr.Assignees, strs(body["assignees"])...)
			return writeJSON(w, 201, s.view(pr))
		case m[4] == "comments" && r.Method == "POST":
			pr.Comments = append(pr.Comments, fmt.Sprint(body["body"]))
			return writeJSON(w, 201, map[string]any{"id": len(pr.Comments), "body": body["body"]})
		case m[4] == "comments" && r.Method == "GET":
			list := []map[string]any{}
			for i, c := range pr.Comments {
				list = append(list, map[string]any{"id": i + 1, "body": c})
			}
			return writeJSON(w, 200, list)
		}
	}
	return ghError(w, 404, "Not Found")
}

func (s *Server) nodeID() string { return "R_fake_" + s.Owner + "_" + s.Repo }

func appendNew(list []string, add ...string) []string {
	for _, a := range add {
		if !slices.Contains(list, a) {
			list = append(list, a)
		}
	}
	return list
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
	}
	return out
}

func labelViews(names []string) []map[string]any {
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{"name": n})
	}
	return out
}

func logins(names []string, key string) []map[string]any {
	out := []map[string]any{}
	for _, n := range names {
		out = append(out, map[string]any{key: n})
	}
	return out
}

func (s *Server) pr(num string) *PR {
	n, _ := strconv.Atoi(num)
	if n < 1 || n > len(s.prs) {
		return nil
	}
	return s.prs[n-1]
}

func (s *Server) view(pr *PR) map[string]any {
	v := map[string]any{
		"number": pr.Number, "title": pr.Title, "body": pr.Body, "state": pr.State, "draft": pr.Draft,
		"html_url":            fmt.Sprintf("https://github.com/%s/%s/pull/%d", s.Owner, s.Repo, pr.Number),
		"head":                map[string]any{"ref": pr.Head, "label": s.Owner + ":" + pr.Head},
		"base":                map[string]any{"ref": pr.Base},
		"labels":              labelViews(pr.Labels),
		"requested_reviewers": logins(pr.Reviewers, "login"),
		"requested_teams":     logins(pr.TeamReviewers, "slug"),
		"assignees":           logins(pr.Assignees, "login"),
		"merged_at":           nil,
	}
	if pr.Merged {
		v["merged_at"] = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	}
	return v
}
