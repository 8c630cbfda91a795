package githubfake

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The Git data API (blobs, trees, commits, refs) and GraphQL's updateRefs
// are served from a real bare repository, GitDir, the same one the tests
// use as origin: what the API creates is what git then fetches.

var (
	gitBlobsRE  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/blobs$`)
	gitCommitRE = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/commits(?:/([0-9a-f]+))?$`)
	gitTreesRE  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/trees$`)
	gitRefRE    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/refs?(?:/(.+))?$`)
)

const zeroOID = "0000000000000000000000000000000000000000"

func (s *Server) git(env []string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = s.GitDir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("git %v: %v: %s", args, err, errb.String())
	}
	return strings.TrimSpace(out.String()), nil
}

// serveGitData answers the Git data endpoints; ok is false for other paths.
func (s *Server) serveGitData(w http.ResponseWriter, r *http.Request, body map[string]any) (int, bool) {
	p := r.URL.Path
	switch {
	case p == "/graphql" && r.Method == "POST":
		return s.serveGraphQL(w, body), true
	case gitBlobsRE.MatchString(p) && r.Method == "POST":
		// "Create a blob": encoding is "utf-8" (the default) or "base64".
		content := []byte(fmt.Sprint(body["content"]))
		if body["encoding"] == "base64" {
			var err error
			if content, err = base64.StdEncoding.DecodeString(string(content)); err != nil {
				return validation(w, "Blob", "content is not valid Base64"), true
			}
		}
		sha, err := s.git(nil, content, "hash-object", "-w", "--stdin")
		if err != nil {
			return ghError(w, 500, err.Error()), true
		}
		return writeJSON(w, 201, map[string]any{"sha": sha}), true
	case gitCommitRE.MatchString(p) && r.Method == "GET":
		sha := gitCommitRE.FindStringSubmatch(p)[1]
		tree, err := s.git(nil, nil, "rev-parse", sha+"^{tree}")
		if err != nil {
			return ghError(w, 404, "Not Found"), true
		}
		return writeJSON(w, 200, map[string]any{"sha": sha, "tree": map[string]any{"sha": tree}}), true
	case gitTreesRE.MatchString(p) && r.Method == "POST":
		return s.createTree(w, body), true
	case gitCommitRE.MatchString(p) && r.Method == "POST":
		// "About commit signature verification", signature verification
		// for bots: GitHub signs a commit made through the API only when
		// the request carries no custom author, committer or signature;
		// the author is then the token's own identity (an App's bot) and
		// the committer GitHub. With a custom author it is not signed.
		author, custom := body["author"].(map[string]any)
		committer, customCommitter := body["committer"].(map[string]any)
		signed := !custom && !customCommitter && body["signature"] == nil
		env := []string{"GIT_AUTHOR_NAME=" + BotName, "GIT_AUTHOR_EMAIL=" + BotEmail, "GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com"}
		if custom {
			env = append(env, "GIT_AUTHOR_NAME="+fmt.Sprint(author["name"]), "GIT_AUTHOR_EMAIL="+fmt.Sprint(author["email"]),
				"GIT_COMMITTER_NAME="+fmt.Sprint(author["name"]), "GIT_COMMITTER_EMAIL="+fmt.Sprint(author["email"]))
		}
		if customCommitter {
			env = append(env, "GIT_COMMITTER_NAME="+fmt.Sprint(committer["name"]), "GIT_COMMITTER_EMAIL="+fmt.Sprint(committer["email"]))
		}
		args := []string{"commit-tree", fmt.Sprint(body["tree"]), "-m", fmt.Sprint(body["message"])}
		parents, _ := body["parents"].([]any)
		for _, parent := range parents {
			args = append(args, "-p", fmt.Sprint(parent))
		}
		sha, err := s.git(env, nil, args...)
		if err != nil {
			return validation(w, "Commit", err.Error()), true
		}
		if !signed {
			return writeJSON(w, 201, map[string]any{"sha": sha, "verification": map[string]any{"verified": false, "reason": "unsigned"}}), true
		}
		s.SignedCommits = append(s.SignedCommits, sha)
		return writeJSON(w, 201, map[string]any{"sha": sha, "verification": map[string]any{"verified": true, "reason": "valid"}}), true
	case gitRefRE.MatchString(p):
		return s.serveRef(w, r, "refs/"+gitRefRE.FindStringSubmatch(p)[1], body), true
	}
	return 0, false
}

// createTree builds a tree on base_tree; an entry gives its blob by sha or
// its content as UTF-8 text, and its mode.
func (s *Server) createTree(w http.ResponseWriter, body map[string]any) int {
	index := filepath.Join(os.TempDir(), fmt.Sprintf("githubfake-index-%d", len(s.requests)))
	defer os.Remove(index)
	env := []string{"GIT_INDEX_FILE=" + index}
	if _, err := s.git(env, nil, "read-tree", fmt.Sprint(body["base_tree"])); err != nil {
		return validation(w, "Tree", err.Error())
	}
	entries, _ := body["tree"].([]any)
	for _, e := range entries {
		em, _ := e.(map[string]any)
		sha, _ := em["sha"].(string)
		if sha == "" {
			var err error
			if sha, err = s.git(nil, []byte(fmt.Sprint(em["content"])), "hash-object", "-w", "--stdin"); err != nil {
				return validation(w, "Tree", err.Error())
			}
		}
		switch em["mode"] {
		case "100644", "100755", "040000", "160000", "120000":
		default:
			return validation(w, "Tree", fmt.Sprintf("tree.mode %v is not one of 100644, 100755, 040000, 160000, 120000", em["mode"]))
		}
		if _, err := s.git(env, nil, "update-index", "--add", "--cacheinfo", fmt.Sprintf("%v,%s,%v", em["mode"], sha, em["path"])); err != nil {
			return validation(w, "Tree", err.Error())
		}
	}
	tree, err := s.git(env, nil, "write-tree")
	if err != nil {
		return validation(w, "Tree", err.Error())
	}
	return writeJSON(w, 201, map[string]any{"sha": tree})
}

func (s *Server) serveRef(w http.ResponseWriter, r *http.Request, ref string, body map[string]any) int {
	switch r.Method {
	case "GET":
		sha, err := s.git(nil, nil, "rev-parse", "--verify", "-q", ref)
		if err != nil || sha == "" {
			return ghError(w, 404, "Not Found")
		}
		return writeJSON(w, 200, map[string]any{"ref": ref, "object": map[string]any{"sha": sha, "type": "commit"}})
	case "POST":
		ref = fmt.Sprint(body["ref"])
		if _, err := s.git(nil, nil, "update-ref", ref, fmt.Sprint(body["sha"]), ""); err != nil {
			return validation(w, "Reference", "Reference already exists")
		}
		return writeJSON(w, 201, map[string]any{"ref": ref, "object": map[string]any{"sha": body["sha"]}})
	case "PATCH":
		// "Update a reference": without force, only a fast-forward.
		sha := fmt.Sprint(body["sha"])
		old, err := s.git(nil, nil, "rev-parse", "--verify", "-q", ref)
		if err != nil {
			return validation(w, "Reference", "Reference does not exist")
		}
		if force, _ := body["force"].(bool); !force {
			if _, err := s.git(nil, nil, "merge-base", "--is-ancestor", old, sha); err != nil {
				return validation(w, "Reference", "Update is not a fast forward")
			}
		}
		if _, err := s.git(nil, nil, "update-ref", ref, sha, old); err != nil {
			return validation(w, "Reference", err.Error())
		}
		return writeJSON(w, 200, map[string]any{"ref": ref, "object": map[string]any{"sha": sha}})
	}
	return ghError(w, 404, "Not Found")
}

// serveGraphQL answers the one mutation winbake sends, updateRefs, as
// GitHub's GraphQL reference describes it: every RefUpdate applies only
// if its ref is at beforeOid (all zeros: must not exist); a refusal is a
// 200 with "errors" and no data. The update itself is git's own
// compare-and-swap (update-ref NEW OLD).
func (s *Server) serveGraphQL(w http.ResponseWriter, body map[string]any) int {
	query, _ := body["query"].(string)
	vars, _ := body["variables"].(map[string]any)
	input, _ := vars["input"].(map[string]any)
	if !strings.Contains(query, "updateRefs") || input == nil {
		return writeJSON(w, 200, map[string]any{"errors": []map[string]any{{"message": "the fake serves only updateRefs"}}})
	}
	refuse := func(msg string) int {
		return writeJSON(w, 200, map[string]any{"data": map[string]any{"updateRefs": nil}, "errors": []map[string]any{{"type": "UNPROCESSABLE", "path": []string{"updateRefs"}, "message": msg}}})
	}
	if input["repositoryId"] != s.nodeID() {
		return writeJSON(w, 200, map[string]any{"errors": []map[string]any{{"type": "NOT_FOUND", "message": fmt.Sprintf("Could not resolve to a node with the global id of '%v'", input["repositoryId"])}}})
	}
	updates, _ := input["refUpdates"].([]any)
	var stdin strings.Builder
	stdin.WriteString("start\n")
	for _, u := range updates {
		um, _ := u.(map[string]any)
		name, before, after := fmt.Sprint(um["name"]), fmt.Sprint(um["beforeOid"]), fmt.Sprint(um["afterOid"])
		if force, _ := um["force"].(bool); !force && before != zeroOID {
			if _, err := s.git(nil, nil, "merge-base", "--is-ancestor", before, after); err != nil {
				return refuse(fmt.Sprintf("%s: update is not a fast forward", name))
			}
		}
		fmt.Fprintf(&stdin, "update %s %s %s\n", name, after, before)
	}
	stdin.WriteString("prepare\ncommit\n")
	if _, err := s.git(nil, []byte(stdin.String()), "update-ref", "--stdin"); err != nil {
		return refuse("A ref was not at its beforeOid; no ref was updated")
	}
	return writeJSON(w, 200, map[string]any{"data": map[string]any{"updateRefs": map[string]any{"clientMutationId": nil}}})
}
