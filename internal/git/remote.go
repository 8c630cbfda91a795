package git

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// Remote is a repository to fetch from and push to, and the token that
// authenticates git there. With no token, git's own credentials apply.
type Remote struct {
	URL   string // a URL, or the name of a remote such as origin
	Token string
}

// HTTPSRemote is a repository on a GitHub server (GITHUB_SERVER_URL) that
// git reaches with token.
func HTTPSRemote(server, repository, token string) Remote {
	return Remote{URL: server + "/" + repository, Token: token}
}

// env gives git the token as an extra HTTP header through the environment
// (GIT_CONFIG_COUNT, git 2.31 and later), so it is in no process argument,
// no file and no URL. actions/checkout persists its own token under
// http.<scheme://host>/.extraheader (src/git-auth-helper.ts), either in
// .git/config or, from v6, in a file under RUNNER_TEMP that .git/config
// includes. An empty value resets the list of extra headers (git-config(1),
// http.extraHeader), but git applies an http.<url>.* key only if its URL
// matches at least as much of the request's URL as the keys seen before
// it (git-config(1), http.<url>.*): so the reset and the token go under
// the repository's own URL, the most specific key, which outranks the
// server-wide key checkout persists and any key a workflow set for the
// repository. The generic http.extraheader would outrank neither.
func (r Remote) env() []string {
	if r.Token == "" {
		return nil
	}
	u, err := url.Parse(r.URL)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil
	}
	key := "http." + u.Scheme + "://" + u.Host + strings.TrimSuffix(u.Path, "/") + ".extraheader"
	header := "AUTHORIZATION: basic " + base64.StdEncoding.EncodeToString([]byte("x-access-token:"+r.Token))
	pairs := [][2]string{{key, ""}, {key, header}}
	// Config the environment already gives git (GIT_CONFIG_COUNT, say
	// safe.directory in a container) is kept: the pairs go after it.
	first, err := strconv.Atoi(os.Getenv("GIT_CONFIG_COUNT"))
	if err != nil || first < 0 {
		first = 0
	}
	env := []string{"GIT_CONFIG_COUNT=" + strconv.Itoa(first+len(pairs))}
	for i, p := range pairs {
		n := strconv.Itoa(first + i)
		env = append(env, "GIT_CONFIG_KEY_"+n+"="+p[0], "GIT_CONFIG_VALUE_"+n+"="+p[1])
	}
	return env
}

// envConfig checks that git reads config from the environment
// (GIT_CONFIG_COUNT, new in git 2.31): an older git ignores it and would
// fetch and push with whatever the checkout persisted.
func envConfig(ctx context.Context) error {
	out, err := run(ctx, "", nil, "version")
	if err != nil {
		return err
	}
	// "git version 2.39.5", "git version 2.45.1.windows.1"
	v := strings.TrimPrefix(strings.TrimSpace(out), "git version ")
	parts := strings.SplitN(v, ".", 3)
	var major, minor int
	if len(parts) >= 2 {
		major, _ = strconv.Atoi(parts[0])
		minor, _ = strconv.Atoi(parts[1])
	}
	if major < 2 || major == 2 && minor < 31 {
		return fmt.Errorf("git %s cannot be given the token without writing it down: winbake needs git 2.31 or later", v)
	}
	return nil
}
