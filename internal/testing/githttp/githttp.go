// Package githttp serves bare git repositories over git's smart HTTP
// protocol through the real git http-backend, behind a handler that
// accepts only the tokens it was given, as GitHub does: tests prove with
// it which credentials a fetch or push used.
package githttp

import (
	"bytes"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Access is what a token may do.
type Access int

// Accesses.
const (
	Read  Access = iota + 1 // fetch only (contents: read)
	Write                   // fetch and push (contents: write)
)

// Request is one request the server answered.
type Request struct {
	Method, Path string
	// Token is the token the request authenticated with ("" for none).
	Token  string
	Push   bool
	Status int
}

// Server serves the bare repositories under Root: a repository at
// Root/owner/name is https://<server>/owner/name, as on GitHub.
type Server struct {
	Root    string
	backend string
	srv     *httptest.Server

	mu       sync.Mutex
	tokens   map[string]Access
	requests []Request
}

// Start serves root until the test ends; tokens are the credentials it
// accepts and what each may do.
func Start(t testing.TB, root string, tokens map[string]Access) *Server {
	t.Helper()
	out, err := exec.Command("git", "--exec-path").Output()
	if err != nil {
		t.Fatalf("git --exec-path: %v", err)
	}
	s := &Server{Root: root, backend: filepath.Join(strings.TrimSpace(string(out)), "git-http-backend"), tokens: tokens}
	s.srv = httptest.NewServer(s)
	t.Cleanup(s.srv.Close)
	return s
}

// URL is the server's base URL (GITHUB_SERVER_URL).
func (s *Server) URL() string { return s.srv.URL }

// Requests returns the requests so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Pushes returns the tokens of the pushes so far, in order.
func (s *Server) Pushes() []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Push && r.Method == http.MethodPost && r.Status == http.StatusOK {
			out = append(out, r.Token)
		}
	}
	return out
}

// token reads the password of a Basic Authorization header, the form
// actions/checkout persists (x-access-token:<token>).
func token(r *http.Request) (string, bool) {
	h := r.Header.Values("Authorization")
	if len(h) != 1 {
		return "", false
	}
	scheme, cred, ok := strings.Cut(h[0], " ")
	if !ok || !strings.EqualFold(scheme, "basic") {
		return "", false
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return "", false
	}
	_, pass, ok := strings.Cut(string(raw), ":")
	return pass, ok
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	push := r.URL.Query().Get("service") == "git-receive-pack" || strings.HasSuffix(r.URL.Path, "/git-receive-pack")
	tok, ok := token(r)
	s.mu.Lock()
	access := s.tokens[tok]
	s.mu.Unlock()
	rec := Request{Method: r.Method, Path: r.URL.Path, Token: tok, Push: push}
	status := s.serve(w, r, ok, access, push)
	rec.Status = status
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.mu.Unlock()
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, authed bool, access Access, push bool) int {
	switch {
	case len(r.Header.Values("Authorization")) > 1:
		// Two credentials at once (a persisted header and another): refuse.
		http.Error(w, "more than one Authorization header", http.StatusBadRequest)
		return http.StatusBadRequest
	case !authed || access == 0:
		// GitHub asks for credentials with a Basic challenge.
		w.Header().Set("WWW-Authenticate", `Basic realm="GitHub"`)
		http.Error(w, "Invalid username or token.", http.StatusUnauthorized)
		return http.StatusUnauthorized
	case push && access < Write:
		http.Error(w, "Permission to repository denied.", http.StatusForbidden)
		return http.StatusForbidden
	}
	// Go's CGI handler refuses chunked request bodies; git sends them for
	// larger pushes. Read the body and give it a length.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return http.StatusBadRequest
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	r.TransferEncoding = nil
	r.Header.Set("Content-Length", strconv.Itoa(len(body)))
	env := []string{"GIT_PROJECT_ROOT=" + s.Root, "GIT_HTTP_EXPORT_ALL=1"}
	if access == Write {
		// http-backend enables receive-pack for authenticated users.
		env = append(env, "REMOTE_USER=x-access-token")
	}
	rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
	(&cgi.Handler{Path: s.backend, Root: "/", Env: env, Stderr: io.Discard}).ServeHTTP(rw, r)
	return rw.status
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}
