package github

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	gh "github.com/google/go-github/v79/github"
)

// File is a file to commit: its bytes and its git mode ("100644",
// "100755").
type File struct {
	Content []byte
	Mode    string
}

// CommitFiles commits files (path → file) on top of base through the Git
// data API and points branch at the commit, only if the branch is still
// at expect ("" meaning it must not exist). GitHub signs commits it
// creates this way, so they show as verified, only when the request names
// no author or committer ("About commit signature verification",
// signature verification for bots): the commit is by the token's own
// identity (a GitHub App's bot), committed by GitHub.
//
// Blobs travel base64-encoded, so any bytes arrive as they are, and each
// tree entry keeps the file's mode. The branch moves through GraphQL's
// updateRefs, whose beforeOid makes the update a compare-and-swap: the
// REST API can only fast-forward or overwrite blindly.
func (c *Client) CommitFiles(ctx context.Context, branch, base, expect, message string, files map[string]File) (string, error) {
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
		f := files[p]
		blob, _, err := c.gh.Git.CreateBlob(ctx, c.Owner, c.Repo, gh.Blob{
			Content: gh.Ptr(base64.StdEncoding.EncodeToString(f.Content)), Encoding: gh.Ptr("base64"),
		})
		if err != nil {
			return "", explain("uploading "+p, err)
		}
		mode := f.Mode
		if mode == "" {
			mode = "100644"
		}
		entries = append(entries, &gh.TreeEntry{Path: gh.Ptr(p), Mode: gh.Ptr(mode), Type: gh.Ptr("blob"), SHA: blob.SHA})
	}
	tree, _, err := c.gh.Git.CreateTree(ctx, c.Owner, c.Repo, parent.GetTree().GetSHA(), entries)
	if err != nil {
		return "", explain("creating the tree", err)
	}
	// An unreferenced commit is harmless, so a failed create is simply
	// made again.
	var commit *gh.Commit
	for attempt := 0; ; attempt++ {
		commit, _, err = c.gh.Git.CreateCommit(ctx, c.Owner, c.Repo, gh.Commit{
			Message: gh.Ptr(message), Tree: tree, Parents: []*gh.Commit{{SHA: gh.Ptr(base)}},
		}, nil)
		if err == nil || !maybeDone(err) || attempt == 2 {
			break
		}
	}
	if err != nil {
		return "", explain("creating the commit", err)
	}
	if err := c.moveBranch(ctx, branch, expect, commit.GetSHA()); err != nil {
		return "", err
	}
	return commit.GetSHA(), nil
}

const zeroOID = "0000000000000000000000000000000000000000"

// moveBranch points branch at sha if it is still at expect.
func (c *Client) moveBranch(ctx context.Context, branch, expect, sha string) error {
	repo, _, err := c.gh.Repositories.Get(ctx, c.Owner, c.Repo)
	if err != nil {
		return explain("reading the repository", err)
	}
	before := expect
	if before == "" {
		before = zeroOID
	}
	ref := "refs/heads/" + branch
	// GitHub GraphQL API reference, mutation updateRefs: "RefUpdate.beforeOid
	// specifies that the given reference needs to point to the given value
	// before performing any updates"; force allows a non-fast-forward.
	req := map[string]any{
		"query": `mutation($input: UpdateRefsInput!) { updateRefs(input: $input) { clientMutationId } }`,
		"variables": map[string]any{"input": map[string]any{
			"repositoryId": repo.GetNodeID(),
			"refUpdates":   []map[string]any{{"name": ref, "beforeOid": before, "afterOid": sha, "force": true}},
		}},
	}
	for attempt := 0; ; attempt++ {
		err := c.graphql(ctx, req)
		if err == nil {
			return nil
		}
		if attempt < 2 && maybeDone(err) {
			// It may have moved: look before asking again.
			cur, _, gerr := c.gh.Git.GetRef(ctx, c.Owner, c.Repo, strings.TrimPrefix(ref, "refs/"))
			if gerr == nil && cur.GetObject().GetSHA() == sha {
				return nil
			}
			continue
		}
		return explain("pointing "+branch+" at the commit", err)
	}
}

type graphQLError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

// graphql posts a GraphQL request; errors in the answer are errors.
func (c *Client) graphql(ctx context.Context, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.graphQL, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	var out struct {
		Errors []graphQLError `json:"errors"`
	}
	if _, err := c.gh.Do(ctx, req, &out); err != nil {
		return err
	}
	if len(out.Errors) > 0 {
		var msgs []string
		for _, e := range out.Errors {
			msgs = append(msgs, e.Message)
		}
		return &graphQLRefusal{oneLine(strings.Join(msgs, "; "))}
	}
	return nil
}

// graphQLRefusal is GitHub's answer to a GraphQL request it did not
// carry out (a 200 with "errors"): final, not to be sent again.
type graphQLRefusal struct{ msg string }

func (e *graphQLRefusal) Error() string { return "GitHub refused: " + e.msg }
