// Package packer bakes an image with Packer: it writes the template's
// variables, runs packer init and packer build -machine-readable, streams
// the build's progress, and reads the AMIs of the last run from Packer's
// manifest into the same bake.json shape as the Image Builder path.
package packer

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/bake/bakefile"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/plan"
)

// Runner runs Packer.
type Runner struct {
	// Packer is the packer binary (default: "packer" on PATH).
	Packer string
	Log    io.Writer
	// Env is added to Packer's environment.
	Env []string
}

// Bake builds one image and returns what it produced.
func (r *Runner) Bake(ctx context.Context, cfg *config.Config, img config.Image, ip plan.Image) (bakefile.Image, error) {
	packer, err := r.binary()
	if err != nil {
		return bakefile.Image{}, err
	}
	base, _ := ip.BaseAMIIn(img.BuildRegion())
	vars, err := components.NewPackerVars(cfg, img, base.AMI, ip.Digests(), components.PinsOf(img, ip).Indexes)
	if err != nil {
		return bakefile.Image{}, err
	}
	dir, err := os.MkdirTemp("", "winbake-packer-")
	if err != nil {
		return bakefile.Image{}, err
	}
	defer os.RemoveAll(dir)
	varFile := filepath.Join(dir, components.PackerVarsFile)
	manifest := filepath.Join(dir, "manifest.json")
	if err := os.WriteFile(varFile, vars, 0o600); err != nil {
		return bakefile.Image{}, err
	}
	template := cfg.Packer.Template
	if !cfg.Packer.SkipInit {
		if err := r.run(ctx, img.Name, packer, "init", template); err != nil {
			return bakefile.Image{}, fmt.Errorf("packer init: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.Packer.Timeout.Duration)
	defer cancel()
	err = r.run(ctx, img.Name, packer, "build", "-machine-readable", "-color=false",
		"-var-file="+varFile, "-var", "manifest_path="+manifest, template)
	if err != nil {
		return bakefile.Image{}, fmt.Errorf("packer build of %s: %w", img.Name, err)
	}
	data, err := os.ReadFile(manifest)
	if err != nil {
		return bakefile.Image{}, fmt.Errorf("packer build of %s wrote no manifest: %w", img.Name, err)
	}
	builds, err := LastRun(data)
	if err != nil {
		return bakefile.Image{}, err
	}
	out := bakefile.Image{
		Name: img.Name, Kubernetes: img.Kubernetes, Windows: img.Windows, Updates: img.UpdatesEnabled(),
		Builder: config.BuilderPacker, BaseAMI: base.AMI, BaseAMIName: base.Name, SSMParameter: ip.SSMParameter,
		Finished: time.Now().UTC().Format(time.RFC3339),
	}
	for _, b := range builds {
		amis, err := b.AMIs()
		if err != nil {
			return bakefile.Image{}, err
		}
		out.AMIs = append(out.AMIs, amis...)
	}
	for _, c := range ip.Cache {
		out.Cache = append(out.Cache, bakefile.Cached{Ref: c.Ref, Digest: c.Digest, Size: c.Size})
	}
	return out, nil
}

func (r *Runner) binary() (string, error) {
	name := r.Packer
	if name == "" {
		name = "packer"
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", errors.New("packer is not installed: install Packer 1.11 or newer (see developer.hashicorp.com/packer/install), or use builder: imagebuilder")
	}
	return p, nil
}

// run runs packer, printing its progress and returning its errors: the
// machine-readable error lines, else what Packer wrote to stderr, else
// its plain output (packer init writes its errors there).
func (r *Runner) run(ctx context.Context, image, packer string, args ...string) error {
	cmd := exec.CommandContext(ctx, packer, args...)
	cmd.Env = append(append(os.Environ(), "PACKER_NO_COLOR=1", "CHECKPOINT_DISABLE=1"), r.Env...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	var mu sync.Mutex // both streams print to r.Log
	var stderrLines []string
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 4<<20)
		for sc.Scan() {
			mu.Lock()
			fmt.Fprintf(r.Log, "%s: %s\n", image, sc.Text())
			mu.Unlock()
			if line := strings.TrimSpace(sc.Text()); line != "" && len(stderrLines) < maxStderrLines {
				stderrLines = append(stderrLines, line)
			}
		}
	}()
	var errs, plain []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		kind, text, ok := ParseLine(sc.Text())
		mu.Lock()
		switch {
		case !ok:
			fmt.Fprintf(r.Log, "%s: %s\n", image, sc.Text())
			if line := strings.TrimSpace(sc.Text()); line != "" && len(plain) < maxStderrLines {
				plain = append(plain, line)
			}
		case kind == "error":
			errs = append(errs, text)
			fmt.Fprintf(r.Log, "%s: error: %s\n", image, text)
		case kind == "say" || kind == "message":
			fmt.Fprintf(r.Log, "%s: %s\n", image, text)
		}
		mu.Unlock()
	}
	<-done // Wait closes the pipes: read them to the end first
	if err := cmd.Wait(); err != nil {
		switch {
		case len(errs) > 0:
			return errors.New(strings.Join(errs, "; "))
		case len(stderrLines) > 0:
			return fmt.Errorf("%w: %s", err, strings.Join(stderrLines, "\n"))
		case len(plain) > 0:
			return fmt.Errorf("%w: %s", err, strings.Join(plain, "\n"))
		}
		return err
	}
	return nil
}

// maxStderrLines bounds how much of Packer's output an error carries.
const maxStderrLines = 40

// ParseLine reads a machine-readable line (timestamp,target,type,data...)
// and returns the kind of a ui line (say, message, error) and its text.
func ParseLine(line string) (kind, text string, ok bool) {
	parts := strings.SplitN(line, ",", 5)
	if len(parts) < 5 || parts[2] != "ui" {
		return "", "", len(parts) >= 4
	}
	text = strings.NewReplacer("%!(PACKER_COMMA)", ",", `\n`, "\n", `\r`, "").Replace(parts[4])
	return parts[3], strings.TrimRight(text, "\n"), true
}

// Build is one build of a Packer manifest.
type Build struct {
	Name        string            `json:"name"`
	BuilderType string            `json:"builder_type"`
	ArtifactID  string            `json:"artifact_id"`
	RunUUID     string            `json:"packer_run_uuid"`
	CustomData  map[string]string `json:"custom_data"`
}

// LastRun returns the builds of the manifest's last run: the manifest
// post-processor appends, so older runs' builds are in it too.
func LastRun(manifest []byte) ([]Build, error) {
	var m struct {
		Builds  []Build `json:"builds"`
		LastRun string  `json:"last_run_uuid"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		return nil, fmt.Errorf("reading the Packer manifest: %w", err)
	}
	var out []Build
	for _, b := range m.Builds {
		if b.RunUUID == m.LastRun {
			out = append(out, b)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the Packer manifest has no build of its last run %s", m.LastRun)
	}
	return out, nil
}

// AMIs reads an amazon builder's artifact_id, "region:ami,region:ami".
func (b Build) AMIs() ([]bakefile.AMI, error) {
	var out []bakefile.AMI
	for _, part := range strings.Split(b.ArtifactID, ",") {
		region, ami, ok := strings.Cut(part, ":")
		if !ok || !config.AMIPattern.MatchString(ami) {
			return nil, fmt.Errorf("build %s (%s) made %q, not region:ami pairs", b.Name, b.BuilderType, b.ArtifactID)
		}
		out = append(out, bakefile.AMI{Region: region, AMI: ami})
	}
	return out, nil
}
