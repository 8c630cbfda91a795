// Package containerd runs a real containerd, with its CRI plugin, for
// tests: built by scripts/tools.sh from the release lines the EKS Windows
// AMIs run, started on a private socket with its own root and state, and
// spoken to through ctr and crictl as kubelet's CRI calls would see it.
package containerd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/testing/testenv"
)

// Lines are the containerd release lines of the EKS-optimized Windows
// AMIs: 1.7.x since April 2024, 2.1.x with Windows Server 2025.
var Lines = []string{"1.7", "2.1"}

// Daemon is a running containerd.
type Daemon struct {
	Line   string // "1.7" or "2.1"
	Socket string
	ctr    string
	crictl string
	logs   *syncBuffer
}

// Start runs containerd of a release line until the test ends and waits
// until its CRI plugin answers.
func Start(t testing.TB, line string) *Daemon {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatal("containerd needs root to run its snapshotter; run the tests as root (CI does)")
	}
	bin := testenv.Binary(t, "containerd-"+line)
	d := &Daemon{Line: line, ctr: testenv.Binary(t, "ctr-"+line), crictl: testenv.Binary(t, "crictl"), logs: &syncBuffer{}}
	// Unix socket paths are limited to 108 bytes: t.TempDir() is too deep.
	dir, err := os.MkdirTemp("", "ctrd")
	if err != nil {
		t.Fatal(err)
	}
	d.Socket = filepath.Join(dir, "c.sock")
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(config(line, dir, d.Socket)), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Stdout, cmd.Stderr = d.logs, d.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = os.RemoveAll(dir)
	})
	// The socket answers before the CRI plugin is ready: wait for CRI.
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := d.Crictl("info")
		if err == nil {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd %s did not answer CRI on %s: %v\n%s\ncontainerd's log:\n%s", line, d.Socket, err, out, d.Logs())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// config is a minimal containerd configuration: everything under dir, the
// native snapshotter, CRI required, NRI off (its socket is machine-wide).
// Config version 2 for 1.7, version 3 (CRI split in images and runtime
// plugins) for 2.x, as containerd's docs/cri/config.md describes.
func config(line, dir, socket string) string {
	common := fmt.Sprintf(`root = %q
state = %q
required_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[ttrpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
[plugins."io.containerd.nri.v1.nri"]
  disable = true
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), socket, socket+".ttrpc", filepath.Join(dir, "opt"))
	if strings.HasPrefix(line, "1.") {
		return "version = 2\n" + common + `[plugins."io.containerd.grpc.v1.cri"]
  disable_cgroup = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
`
	}
	return "version = 3\n" + common + `[plugins."io.containerd.cri.v1.images"]
  snapshotter = "native"
`
}

// Ctr runs this containerd's ctr against the daemon with args and returns
// its combined output.
func (d *Daemon) Ctr(args ...string) (string, error) {
	return run(d.ctr, append([]string{"--address", d.Socket}, args...)...)
}

// CtrAt runs this line's ctr against another socket (one nothing answers
// on, say).
func (d *Daemon) CtrAt(socket string, args ...string) (string, error) {
	return run(d.ctr, append([]string{"--address", socket, "--timeout", "5s"}, args...)...)
}

// Crictl runs crictl against the daemon's CRI endpoints.
func (d *Daemon) Crictl(args ...string) (string, error) {
	ep := "unix://" + d.Socket
	return run(d.crictl, append([]string{"--config", os.DevNull, "-r", ep, "-i", ep, "--timeout", "10s"}, args...)...)
}

// Image is what CRI's ImageStatus reports of an image.
type Image struct {
	ID          string   `json:"id"`
	RepoTags    []string `json:"repoTags"`
	RepoDigests []string `json:"repoDigests"`
	Pinned      bool     `json:"pinned"`
}

// ImageStatus asks CRI for the image a pod naming ref would get, as
// kubelet does before pulling (crictl inspecti calls ImageStatus).
// ok is false when CRI has no such image.
func (d *Daemon) ImageStatus(ref string) (img Image, ok bool, err error) {
	out, err := d.Crictl("inspecti", "-o", "json", ref)
	if err != nil {
		if strings.Contains(out, "no such image") {
			return Image{}, false, nil
		}
		return Image{}, false, fmt.Errorf("crictl inspecti %s: %w\n%s", ref, err, out)
	}
	var status struct {
		Status Image `json:"status"`
	}
	if err := json.Unmarshal([]byte(out), &status); err != nil {
		return Image{}, false, fmt.Errorf("crictl inspecti %s: %w\n%s", ref, err, out)
	}
	return status.Status, true, nil
}

// Logs is everything containerd has written so far.
func (d *Daemon) Logs() string { return d.logs.String() }

func run(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
