// Package github opens, finds, updates and closes winbake's pull requests
// through the GitHub REST API (go-github), on github.com or GitHub
// Enterprise Server (GITHUB_API_URL).
package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	gh "github.com/google/go-github/v79/github"
	"github.com/hashicorp/go-retryablehttp"
)

// Client is a repository on GitHub.
type Client struct {
	gh          *gh.Client
	Owner, Repo string
}

// PR is a pull request as winbake sees it.
type PR struct {
	Number int
	URL    string
	Title  string
	Body   string
	Merged bool
}

// New makes a client for owner/repo with token. apiURL is GITHUB_API_URL
// ("" for github.com).
func New(token, apiURL, repository string) (*Client, error) {
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" {
		return nil, fmt.Errorf("%q is not a GitHub repository (owner/name)", repository)
	}
	rc := retryablehttp.NewClient()
	rc.Logger = nil
	rc.RetryMax = 4
	rc.RetryWaitMin = 500 * time.Millisecond
	rc.RetryWaitMax = 8 * time.Second
	rc.CheckRetry = checkRetry
	c := gh.NewClient(rc.StandardClient()).WithAuthToken(token)
	if apiURL != "" && strings.TrimRight(apiURL, "/") != "https://api.github.com" {
		base, err := url.Parse(strings.TrimRight(apiURL, "/") + "/")
		if err != nil {
			return nil, fmt.Errorf("GITHUB_API_URL %q: %w", apiURL, err)
		}
		c.BaseURL = base
	}
	return &Client{gh: c, Owner: owner, Repo: repo}, nil
}

// checkRetry retries 5xx and connection errors, and the 422 GitHub returns
// for labels, reviewers and assignees on a pull request it has only just
// created.
func checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if resp != nil && resp.StatusCode == http.StatusUnprocessableEntity && resp.Request.Method == http.MethodPost {
		p := resp.Request.URL.Path
		if strings.HasSuffix(p, "/labels") || strings.HasSuffix(p, "/requested_reviewers") || strings.HasSuffix(p, "/assignees") {
			return true, nil
		}
	}
	return retryablehttp.DefaultRetryPolicy(ctx, resp, err)
}

var remoteRE = regexp.MustCompile(`^(?:https?://[^/]+/|git@[^:]+:|ssh://git@[^/]+/)([^/]+)/([^/]+?)(?:\.git)?/?$`)

// RepositoryFromRemote reads owner/name from a remote URL.
func RepositoryFromRemote(u string) (string, bool) {
	m := remoteRE.FindStringSubmatch(u)
	if m == nil {
		return "", false
	}
	return m[1] + "/" + m[2], true
}

// explain turns GitHub's refusals into what to do about them.
func explain(what string, err error) error {
	var er *gh.ErrorResponse
	if !errors.As(err, &er) {
		return fmt.Errorf("%s: %w", what, err)
	}
	msg := er.Message
	switch {
	case strings.Contains(msg, "not permitted to create or approve pull requests"):
		return fmt.Errorf("%s: GitHub Actions may not create pull requests in this repository: enable Settings → Actions → General → Workflow permissions → \"Allow GitHub Actions to create and approve pull requests\" (or use a GitHub App token)", what)
	case er.Response.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%s: GitHub refused the token (%s); check the github-token input", what, msg)
	case er.Response.StatusCode == http.StatusForbidden || er.Response.StatusCode == http.StatusNotFound && strings.Contains(msg, "Not Found"):
		return fmt.Errorf("%s: the token may not do this (%s); it needs contents: write and pull-requests: write", what, msg)
	}
	return fmt.Errorf("%s: GitHub answered %d: %s", what, er.Response.StatusCode, msg)
}

// FindPRs lists pull requests from branch in a state ("open", "closed")
// whose body holds marker.
func (c *Client) FindPRs(ctx context.Context, branch, state, marker string) ([]PR, error) {
	opts := &gh.PullRequestListOptions{State: state, Head: c.Owner + ":" + branch, ListOptions: gh.ListOptions{PerPage: 50}}
	var out []PR
	for {
		prs, resp, err := c.gh.PullRequests.List(ctx, c.Owner, c.Repo, opts)
		if err != nil {
			return nil, explain("listing pull requests", err)
		}
		for _, p := range prs {
			if strings.Contains(p.GetBody(), marker) {
				out = append(out, PR{Number: p.GetNumber(), URL: p.GetHTMLURL(), Title: p.GetTitle(), Body: p.GetBody(), Merged: p.MergedAt != nil})
			}
		}
		if resp.NextPage == 0 {
			return out, nil
		}
		opts.Page = resp.NextPage
	}
}

// NewPR is a pull request to open.
type NewPR struct {
	Title, Body, Head, Base                     string
	Draft                                       bool
	Labels, Reviewers, TeamReviewers, Assignees []string
}

// Create opens a pull request, then labels it and requests reviews.
func (c *Client) Create(ctx context.Context, n NewPR) (PR, error) {
	p, _, err := c.gh.PullRequests.Create(ctx, c.Owner, c.Repo, &gh.NewPullRequest{
		Title: gh.Ptr(n.Title), Body: gh.Ptr(n.Body), Head: gh.Ptr(n.Head), Base: gh.Ptr(n.Base), Draft: gh.Ptr(n.Draft),
	})
	if err != nil {
		return PR{}, explain("opening the pull request", err)
	}
	pr := PR{Number: p.GetNumber(), URL: p.GetHTMLURL(), Title: n.Title, Body: n.Body}
	if len(n.Labels) > 0 {
		if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.Owner, c.Repo, pr.Number, n.Labels); err != nil {
			return pr, explain(fmt.Sprintf("labelling pull request #%d", pr.Number), err)
		}
	}
	if len(n.Reviewers)+len(n.TeamReviewers) > 0 {
		if _, _, err := c.gh.PullRequests.RequestReviewers(ctx, c.Owner, c.Repo, pr.Number, gh.ReviewersRequest{Reviewers: n.Reviewers, TeamReviewers: n.TeamReviewers}); err != nil {
			return pr, explain(fmt.Sprintf("requesting reviews on pull request #%d", pr.Number), err)
		}
	}
	if len(n.Assignees) > 0 {
		if _, _, err := c.gh.Issues.AddAssignees(ctx, c.Owner, c.Repo, pr.Number, n.Assignees); err != nil {
			return pr, explain(fmt.Sprintf("assigning pull request #%d", pr.Number), err)
		}
	}
	return pr, nil
}

// Update sets a pull request's title and body.
func (c *Client) Update(ctx context.Context, number int, title, body string) error {
	_, _, err := c.gh.PullRequests.Edit(ctx, c.Owner, c.Repo, number, &gh.PullRequest{Title: gh.Ptr(title), Body: gh.Ptr(body)})
	if err != nil {
		return explain(fmt.Sprintf("updating pull request #%d", number), err)
	}
	return nil
}

// Comment comments on a pull request.
func (c *Client) Comment(ctx context.Context, number int, body string) error {
	_, _, err := c.gh.Issues.CreateComment(ctx, c.Owner, c.Repo, number, &gh.IssueComment{Body: gh.Ptr(body)})
	if err != nil {
		return explain(fmt.Sprintf("commenting on pull request #%d", number), err)
	}
	return nil
}

// Close comments on a pull request and closes it.
func (c *Client) Close(ctx context.Context, number int, comment string) error {
	if err := c.Comment(ctx, number, comment); err != nil {
		return err
	}
	_, _, err := c.gh.PullRequests.Edit(ctx, c.Owner, c.Repo, number, &gh.PullRequest{State: gh.Ptr("closed")})
	if err != nil {
		return explain(fmt.Sprintf("closing pull request #%d", number), err)
	}
	return nil
}

// CommitFiles commits files (path → content) on top of base through the
// Git data API and points branch at the commit, only if the branch is
// still at expect ("" meaning it must not exist). GitHub signs commits it
// creates this way, so they show as verified.
func (c *Client) CommitFiles(ctx context.Context, branch, base, expect, message string, author CommitAuthor, files map[string][]byte) (string, error) {
	parent, _, err := c.gh.Git.GetCommit(ctx, c.Owner, c.Repo, base)
	if err != nil {
		return "", explain("reading the base commit", err)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	entries := make([]*gh.TreeEntry, 0, len(paths))
	for _, p := range paths {
		entries = append(entries, &gh.TreeEntry{Path: gh.Ptr(p), Mode: gh.Ptr("100644"), Type: gh.Ptr("blob"), Content: gh.Ptr(string(files[p]))})
	}
	tree, _, err := c.gh.Git.CreateTree(ctx, c.Owner, c.Repo, parent.GetTree().GetSHA(), entries)
	if err != nil {
		return "", explain("creating the tree", err)
	}
	commit, _, err := c.gh.Git.CreateCommit(ctx, c.Owner, c.Repo, gh.Commit{
		Message: gh.Ptr(message), Tree: tree, Parents: []*gh.Commit{{SHA: gh.Ptr(base)}},
		Author: &gh.CommitAuthor{Name: gh.Ptr(author.Name), Email: gh.Ptr(author.Email)},
	}, nil)
	if err != nil {
		return "", explain("creating the commit", err)
	}
	ref := "refs/heads/" + branch
	if expect == "" {
		_, _, err = c.gh.Git.CreateRef(ctx, c.Owner, c.Repo, gh.CreateRef{Ref: ref, SHA: commit.GetSHA()})
	} else {
		// A lease: the branch must not have moved since it was read.
		cur, _, gerr := c.gh.Git.GetRef(ctx, c.Owner, c.Repo, ref)
		if gerr != nil {
			return "", explain("reading "+ref, gerr)
		}
		if cur.GetObject().GetSHA() != expect {
			return "", fmt.Errorf("branch %s moved while winbake worked (now %s); re-run", branch, cur.GetObject().GetSHA())
		}
		_, _, err = c.gh.Git.UpdateRef(ctx, c.Owner, c.Repo, ref, gh.UpdateRef{SHA: commit.GetSHA(), Force: gh.Ptr(true)})
	}
	if err != nil {
		return "", explain("pointing "+branch+" at the commit", err)
	}
	return commit.GetSHA(), nil
}

// CommitAuthor is who a commit made through the API is by.
type CommitAuthor struct{ Name, Email string }
