// Package github opens, finds, updates and closes winbake's pull requests
// through the GitHub REST API (go-github), on github.com or GitHub
// Enterprise Server (GITHUB_API_URL).
package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	gh "github.com/google/go-github/v79/github"
)

// Client is a repository on GitHub.
type Client struct {
	gh          *gh.Client
	graphQL     string
	Owner, Repo string
}

// PR is a pull request as winbake sees it.
type PR struct {
	Number int
	URL    string
	Title  string
	Body   string
	Merged bool
	// What the pull request has now.
	Labels, Reviewers, TeamReviewers, Assignees []string
}

// Options tune a client; the zero value is what production uses.
type Options struct {
	// Sleep waits; tests pass one that does not.
	Sleep func(context.Context, time.Duration) error
	// MaxWait is the longest wait GitHub may ask for (15 minutes if 0).
	MaxWait time.Duration
}

// New makes a client for owner/repo with token. apiURL is GITHUB_API_URL
// ("" for github.com).
func New(token, apiURL, repository string, opts ...Options) (*Client, error) {
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" {
		return nil, fmt.Errorf("%q is not a GitHub repository (owner/name)", repository)
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.MaxWait == 0 {
		o.MaxWait = 15 * time.Minute
	}
	hc := &http.Client{Transport: &transport{base: http.DefaultTransport, sleep: o.Sleep, maxWait: o.MaxWait}}
	c := gh.NewClient(hc).WithAuthToken(token)
	// The transport waits where GitHub asks; go-github's own check would
	// refuse a request on the spot once an answer said the limit is spent.
	c.DisableRateLimitCheck = true
	graphQL := "https://api.github.com/graphql"
	if apiURL != "" && strings.TrimRight(apiURL, "/") != "https://api.github.com" {
		api := strings.TrimRight(apiURL, "/")
		base, err := url.Parse(api + "/")
		if err != nil {
			return nil, fmt.Errorf("GITHUB_API_URL %q: %w", apiURL, err)
		}
		c.BaseURL = base
		// GitHub Enterprise Server serves REST under /api/v3 and GraphQL
		// at /api/graphql.
		graphQL = strings.TrimSuffix(api, "/v3") + "/graphql"
	}
	return &Client{gh: c, graphQL: graphQL, Owner: owner, Repo: repo}, nil
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

func names[T any](list []*T, name func(*T) string) []string {
	var out []string
	for _, x := range list {
		out = append(out, name(x))
	}
	return out
}

func toPR(p *gh.PullRequest) PR {
	return PR{
		Number: p.GetNumber(), URL: p.GetHTMLURL(), Title: p.GetTitle(), Body: p.GetBody(), Merged: p.MergedAt != nil,
		Labels:        names(p.Labels, (*gh.Label).GetName),
		Reviewers:     names(p.RequestedReviewers, (*gh.User).GetLogin),
		TeamReviewers: names(p.RequestedTeams, (*gh.Team).GetSlug),
		Assignees:     names(p.Assignees, (*gh.User).GetLogin),
	}
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
				out = append(out, toPR(p))
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
	// Marker is in Body and tells winbake's pull request from others.
	Marker string
}

// Create opens a pull request, then labels it and requests reviews. A
// 5xx may hide a pull request GitHub did open: it is looked for before
// asking again, so none is opened twice. The PR is returned with
// whatever error stopped the rest.
func (c *Client) Create(ctx context.Context, n NewPR) (PR, error) {
	var p *gh.PullRequest
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			found, ferr := c.FindPRs(ctx, n.Head, "open", n.Marker)
			if ferr != nil {
				return PR{}, ferr
			}
			if len(found) > 0 {
				_, err := c.Complete(ctx, found[0], n)
				return found[0], err
			}
		}
		p, _, err = c.gh.PullRequests.Create(ctx, c.Owner, c.Repo, &gh.NewPullRequest{
			Title: gh.Ptr(n.Title), Body: gh.Ptr(n.Body), Head: gh.Ptr(n.Head), Base: gh.Ptr(n.Base), Draft: gh.Ptr(n.Draft),
		})
		if attempt > 0 && alreadyExists(err) {
			// The first request opened it after all; it is listed by now.
			found, ferr := c.FindPRs(ctx, n.Head, "open", n.Marker)
			if ferr == nil && len(found) > 0 {
				_, err := c.Complete(ctx, found[0], n)
				return found[0], err
			}
		}
		if !maybeDone(err) {
			break
		}
	}
	if err != nil {
		return PR{}, explain("opening the pull request", err)
	}
	pr := toPR(p)
	_, err = c.Complete(ctx, pr, n)
	return pr, err
}

// missing are the wanted names a pull request does not have.
func missing(want, have []string) []string {
	var out []string
	for _, w := range want {
		if !slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, w) }) {
			out = append(out, w)
		}
	}
	return out
}

// Complete adds the labels, review requests and assignees a pull request
// should have and lacks, and says whether it added anything. A reviewer
// who has already reviewed is not asked again.
func (c *Client) Complete(ctx context.Context, pr PR, n NewPR) (bool, error) {
	changed := false
	if labels := missing(n.Labels, pr.Labels); len(labels) > 0 {
		if _, _, err := c.gh.Issues.AddLabelsToIssue(ctx, c.Owner, c.Repo, pr.Number, labels); err != nil {
			return changed, explain(fmt.Sprintf("labelling pull request #%d", pr.Number), err)
		}
		changed = true
	}
	users, teams := missing(n.Reviewers, pr.Reviewers), missing(n.TeamReviewers, pr.TeamReviewers)
	if len(users)+len(teams) > 0 {
		reviewed, err := c.reviewers(ctx, pr.Number)
		if err != nil {
			return changed, err
		}
		users = missing(users, reviewed)
		if len(reviewed) > 0 {
			teams = nil // a member's review answers a team's request
		}
	}
	if len(users)+len(teams) > 0 {
		if _, _, err := c.gh.PullRequests.RequestReviewers(ctx, c.Owner, c.Repo, pr.Number, gh.ReviewersRequest{Reviewers: users, TeamReviewers: teams}); err != nil {
			return changed, explain(fmt.Sprintf("requesting reviews on pull request #%d", pr.Number), err)
		}
		changed = true
	}
	if assignees := missing(n.Assignees, pr.Assignees); len(assignees) > 0 {
		if _, _, err := c.gh.Issues.AddAssignees(ctx, c.Owner, c.Repo, pr.Number, assignees); err != nil {
			return changed, explain(fmt.Sprintf("assigning pull request #%d", pr.Number), err)
		}
		changed = true
	}
	return changed, nil
}

// reviewers are the logins that have reviewed a pull request.
func (c *Client) reviewers(ctx context.Context, number int) ([]string, error) {
	reviews, _, err := c.gh.PullRequests.ListReviews(ctx, c.Owner, c.Repo, number, &gh.ListOptions{PerPage: 100})
	if err != nil {
		return nil, explain(fmt.Sprintf("listing the reviews of pull request #%d", number), err)
	}
	var out []string
	for _, r := range reviews {
		out = append(out, r.GetUser().GetLogin())
	}
	return out, nil
}

// Update sets a pull request's title and body.
func (c *Client) Update(ctx context.Context, number int, title, body string) error {
	_, _, err := c.gh.PullRequests.Edit(ctx, c.Owner, c.Repo, number, &gh.PullRequest{Title: gh.Ptr(title), Body: gh.Ptr(body)})
	if err != nil {
		return explain(fmt.Sprintf("updating pull request #%d", number), err)
	}
	return nil
}

// HasComment tells whether a comment on the pull request holds marker.
func (c *Client) HasComment(ctx context.Context, number int, marker string) (bool, error) {
	opts := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := c.gh.Issues.ListComments(ctx, c.Owner, c.Repo, number, opts)
		if err != nil {
			return false, explain(fmt.Sprintf("reading the comments of pull request #%d", number), err)
		}
		for _, cm := range comments {
			if strings.Contains(cm.GetBody(), marker) {
				return true, nil
			}
		}
		if resp.NextPage == 0 {
			return false, nil
		}
		opts.Page = resp.NextPage
	}
}

// Comment comments on a pull request once: body holds marker, and a
// comment that already holds it (posted by an earlier run, or by a
// request that failed with a 5xx after GitHub stored it) is not repeated.
// It says whether it posted.
func (c *Client) Comment(ctx context.Context, number int, marker, body string) (bool, error) {
	for attempt := 0; attempt < 3; attempt++ {
		if has, err := c.HasComment(ctx, number, marker); err != nil || has {
			return false, err
		}
		_, _, err := c.gh.Issues.CreateComment(ctx, c.Owner, c.Repo, number, &gh.IssueComment{Body: gh.Ptr(body)})
		if err == nil {
			return true, nil
		}
		if !maybeDone(err) || attempt == 2 {
			return false, explain(fmt.Sprintf("commenting on pull request #%d", number), err)
		}
	}
	return false, nil
}

// Close comments on a pull request and closes it.
func (c *Client) Close(ctx context.Context, number int, marker, comment string) error {
	if _, err := c.Comment(ctx, number, marker, comment); err != nil {
		return err
	}
	_, _, err := c.gh.PullRequests.Edit(ctx, c.Owner, c.Repo, number, &gh.PullRequest{State: gh.Ptr("closed")})
	if err != nil {
		return explain(fmt.Sprintf("closing pull request #%d", number), err)
	}
	return nil
}
