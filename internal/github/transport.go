package github

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// transport retries what is safe to retry and waits where GitHub asks.
//
// GitHub's "Rate limits for the REST API" and "Best practices for using
// the REST API" (docs.github.com/en/rest/using-the-rest-api): a secondary
// rate limit answers 403 or 429; with retry-after, wait that many seconds;
// with x-ratelimit-remaining 0, wait until x-ratelimit-reset; otherwise
// wait at least a minute. A request refused for a rate limit was not
// carried out, so it is sent again after the wait, POST included. A 5xx or
// a broken connection is different: the request may have been carried
// out, so only requests that can be repeated without effect are retried
// here; a POST that creates something is checked by its caller first.
type transport struct {
	base    http.RoundTripper
	sleep   func(context.Context, time.Duration) error
	maxWait time.Duration
}

// maxAttempts bounds retries of 5xx and of rate limits alike.
const maxAttempts = 4

// repeatable are the POSTs that have the same effect when sent twice:
// adding labels, assignees or review requests, and content-addressed git
// blobs and trees.
var repeatable = regexp.MustCompile(`/(labels|assignees|requested_reviewers|git/blobs|git/trees)$`)

func idempotent(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodPatch, http.MethodPut, http.MethodDelete:
		return true
	}
	return repeatable.MatchString(r.URL.Path)
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	backoff := 500 * time.Millisecond
	for attempt := 1; ; attempt++ {
		if attempt > 1 && req.GetBody != nil {
			body, err := req.GetBody()
			if err != nil {
				return nil, err
			}
			req.Body = body
		}
		resp, err := t.base.RoundTrip(req)
		last := attempt >= maxAttempts
		if err == nil {
			wait, limited, rerr := rateLimited(resp, time.Now())
			if rerr != nil {
				return nil, rerr
			}
			switch {
			case limited && wait > t.maxWait:
				return resp, nil // go-github reports GitHub's message
			case limited && !last:
				resp.Body.Close()
				if err := t.sleep(req.Context(), wait); err != nil {
					return nil, err
				}
				continue
			case resp.StatusCode < 500 || last && idempotent(req):
				return resp, nil
			case !idempotent(req):
				return resp, nil // the caller checks before repeating
			}
			resp.Body.Close()
		} else if last || !idempotent(req) || req.Context().Err() != nil {
			return nil, err
		}
		if err := t.sleep(req.Context(), backoff); err != nil {
			return nil, err
		}
		backoff *= 2
	}
}

// rateLimited tells whether resp is a rate limit and how long GitHub asks
// to wait. It keeps resp's body readable.
func rateLimited(resp *http.Response, now time.Time) (time.Duration, bool, error) {
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusTooManyRequests {
		return 0, false, nil
	}
	h := resp.Header
	if s := h.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true, nil
		}
	}
	if h.Get("X-Ratelimit-Remaining") == "0" {
		if reset, err := strconv.ParseInt(h.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Unix(reset, 0).Sub(now), time.Second), true, nil
		}
	}
	// A secondary limit without either header: GitHub says wait a minute.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return 0, false, fmt.Errorf("reading GitHub's answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode == http.StatusTooManyRequests || bytes.Contains(bytes.ToLower(body), []byte("secondary rate limit")) {
		return time.Minute, true, nil
	}
	return 0, false, nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
