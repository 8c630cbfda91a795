package githubfake

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// The Git data API (trees, commits, refs) is served from a real bare
// repository, GitDir, the same one the tests use as origin: what the API
// creates is what git then fetches.

var (
	gitCommitRE = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/commits(?:/([0-9a-f]+))?$`)
	gitTreesRE  = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/trees$`)
	gitRefRE    = regexp.MustCompile(`^/repos/[^/]+/[^/]+/git/refs?(?:/(.+))?$`)
)

func (s *Server) git(env []string, stdin string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = s.GitDir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
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
	case gitCommitRE.MatchString(p) && r.Method == "GET":
		sha := gitCommitRE.FindStringSubmatch(p)[1]
		tree, err := s.git(nil, "", "rev-parse", sha+"^{tree}")
		if err != nil {
			return ghError(w, 404, "Not Found"), true
		}
		return writeJSON(w, 200, map[string]any{"sha": sha, "tree": map[string]any{"sha": tree}}), true
	case gitTreesRE.MatchString(p) && r.Method == "POST":
		index := filepath.Join(os.TempDir(), fmt.Sprintf("githubfake-index-%d", len(s.requests)))
		defer os.Remove(index)
		env := []string{"GIT_INDEX_FILE=" + index}
		if _, err := s.git(env, "", "read-tree", fmt.Sprint(body["base_tree"])); err != nil {
			return ghError(w, 422, err.Error()), true
		}
		entries, _ := body["tree"].([]any)
		for _, e := range entries {
			em, _ := e.(map[string]any)
			blob, err := s.git(nil, fmt.Sprint(em["content"]), "hash-object", "-w", "--stdin")
			if err != nil {
				return ghError(w, 422, err.Error()), true
			}
			if _, err := s.git(env, "", "update-index", "--add", "--cacheinfo", fmt.Sprintf("%v,%s,%v", em["mode"], blob, em["path"])); err != nil {
				return ghError(w, 422, err.Error()), true
			}
		}
		tree, err := s.git(env, "", "write-tree")
		if err != nil {
			return ghError(w, 422, err.Error()), true
		}
		return writeJSON(w, 201, map[string]any{"sha": tree}), true
	case gitCommitRE.MatchString(p) && r.Method == "POST":
		author, _ := body["author"].(map[string]any)
		env := []string{"GIT_AUTHOR_NAME=" + fmt.Sprint(author["name"]), "GIT_AUTHOR_EMAIL=" + fmt.Sprint(author["email"]),
			"GIT_COMMITTER_NAME=GitHub", "GIT_COMMITTER_EMAIL=noreply@github.com"}
		args := []string{"commit-tree", fmt.Sprint(body["tree"]), "-m", fmt.Sprint(body["message"])}
		parents, _ := body["parents"].([]any)
		for _, parent := range parents {
			args = append(args, "-p", fmt.Sprint(parent))
		}
		sha, err := s.git(env, "", args...)
		if err != nil {
			return ghError(w, 422, err.Error()), true
		}
		s.SignedCommits = append(s.SignedCommits, sha)
		return writeJSON(w, 201, map[string]any{"sha": sha, "verification": map[string]any{"verified": true, "reason": "valid"}}), true
	case gitRefRE.MatchString(p):
		ref := "refs/" + gitRefRE.FindStringSubmatch(p)[1]
		switch r.Method {
		case "GET":
			sha, err := s.git(nil, "", "rev-parse", "--verify", "-q", ref)
			if err != nil || sha == "" {
				return ghError(w, 404, "Not Found"), true
			}
			return writeJSON(w, 200, map[string]any{"ref": ref, "object": map[string]any{"sha": sha, "type": "commit"}}), true
		case "POST":
			ref = fmt.Sprint(body["ref"])
			if _, err := s.git(nil, "", "update-ref", ref, fmt.Sprint(body["sha"]), ""); err != nil {
				return ghError(w, 422, "Reference already exists"), true
			}
			return writeJSON(w, 201, map[string]any{"ref": ref, "object": map[string]any{"sha": body["sha"]}}), true
		case "PATCH":
			if _, err := s.git(nil, "", "update-ref", ref, fmt.Sprint(body["sha"])); err != nil {
				return ghError(w, 422, err.Error()), true
			}
			return writeJSON(w, 200, map[string]any{"ref": ref, "object": map[string]any{"sha": body["sha"]}}), true
		}
	}
	return 0, false
}
