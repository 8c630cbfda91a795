// Package githubfake is an httptest fake of the few GitHub REST endpoints
// winbake uses, answering with GitHub's status codes and error bodies, and
// with faults on demand.
package githubfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the only token the fake accepts.
const Token = "ghs_faketoken0123456789"

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
}

// Request is one request the fake answered.
type Request struct {
	Method, Path string
	Status       int
}

// Server is the fake.
type Server struct {
	mu       sync.Mutex
	prs      []*PR
	requests []Request
	// Fail answers the next N requests matching "METHOD /path-suffix" with
	// the status and message.
	faults []fault
	srv    *httptest.Server
	Owner  string
	Repo   string
	// GitDir is the bare repository behind the Git data API.
	GitDir string
	// SignedCommits are the commits made through the Git data API.
	SignedCommits []string
}

type fault struct {
	match  string
	status int
	msg    string
	times  int
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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, fault{match, status, msg, times})
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

var (
	pullsRE     = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls$`)
	pullRE      = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls/(\d+)$`)
	reviewRE    = regexp.MustCompile(`^/repos/([^/]+)/([^/]+)/pulls/(\d+)/requested_reviewers$`)
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

func ghError(w http.ResponseWriter, status int, msg string) int {
	return writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest", "status": strconv.Itoa(status)})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) int {
	auth := r.Header.Get("Authorization")
	if auth != "Bearer "+Token && auth != "token "+Token {
		return ghError(w, 401, "Bad credentials")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.faults {
		f := &s.faults[i]
		if f.times > 0 && strings.HasSuffix(r.Method+" "+r.URL.Path, f.match) {
			f.times--
			if f.status == 422 {
				return writeJSON(w, 422, map[string]any{"message": f.msg, "errors": []map[string]string{{"resource": "PullRequest", "code": "custom", "message": f.msg}}, "documentation_url": "https://docs.github.com/rest"})
			}
			return ghError(w, f.status, f.msg)
		}
	}
	var raw any
	_ = json.NewDecoder(r.Body).Decode(&raw)
	body, _ := raw.(map[string]any)
	if list, ok := raw.([]any); ok { // labels come as a bare array
		body = map[string]any{"labels": list}
	}
	if status, ok := s.serveGitData(w, r, body); ok {
		return status
	}
	owner, repo := s.Owner, s.Repo
	check := func(m []string) bool { return m != nil && m[1] == owner && m[2] == repo }
	switch p := r.URL.Path; {
	case check(pullsRE.FindStringSubmatch(p)) && r.Method == "GET":
		q := r.URL.Query()
		var list []map[string]any
		for _, pr := range s.prs {
			if (q.Get("state") == "" || q.Get("state") == "all" || q.Get("state") == pr.State) && (q.Get("head") == "" || q.Get("head") == owner+":"+pr.Head) {
				list = append(list, s.view(pr))
			}
		}
		if list == nil {
			list = []map[string]any{}
		}
		return writeJSON(w, 200, list)
	case check(pullsRE.FindStringSubmatch(p)) && r.Method == "POST":
		head, base := fmt.Sprint(body["head"]), fmt.Sprint(body["base"])
		for _, pr := range s.prs {
			if pr.State == "open" && pr.Head == head && pr.Base == base {
				return writeJSON(w, 422, map[string]any{"message": "Validation Failed", "errors": []map[string]string{{"resource": "PullRequest", "code": "custom", "message": "A pull request already exists for " + owner + ":" + head + "."}}})
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
	case check(reviewRE.FindStringSubmatch(p)) && r.Method == "POST":
		pr := s.pr(reviewRE.FindStringSubmatch(p)[3])
		if pr == nil {
			return ghError(w, 404, "Not Found")
		}
		pr.Reviewers = append(pr.Reviewers, strs(body["reviewers"])...)
		pr.TeamReviewers = append(pr.TeamReviewers, strs(body["team_reviewers"])...)
		return writeJSON(w, 201, s.view(pr))
	case check(issuePartRE.FindStringSubmatch(p)) && r.Method == "POST":
		m := issuePartRE.FindStringSubmatch(p)
		pr := s.pr(m[3])
		if pr == nil {
			return ghError(w, 404, "Not Found")
		}
		switch m[4] {
		case "labels":
			pr.Labels = append(pr.Labels, strs(body["labels"])...)
			return writeJSON(w, 200, []map[string]string{})
		case "assignees":
			pr.Assignees = append(pr.Assignees, strs(body["assignees"])...)
			return writeJSON(w, 201, s.view(pr))
		default:
			pr.Comments = append(pr.Comments, fmt.Sprint(body["body"]))
			return writeJSON(w, 201, map[string]any{"id": len(pr.Comments), "body": body["body"]})
		}
	}
	return ghError(w, 404, "Not Found")
}

func strs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		out = append(out, fmt.Sprint(x))
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
		"html_url": fmt.Sprintf("https://github.com/%s/%s/pull/%d", s.Owner, s.Repo, pr.Number),
		"head":     map[string]any{"ref": pr.Head, "label": s.Owner + ":" + pr.Head},
		"base":     map[string]any{"ref": pr.Base},
	}
	if pr.Merged {
		v["merged_at"] = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC).Format(time.RFC3339)
	}
	return v
}
