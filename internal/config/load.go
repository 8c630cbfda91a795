package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"sort"

	"gopkg.in/yaml.v3"
)

// SearchPaths are tried in order when no config file is named.
var SearchPaths = []string{DefaultFile, ".github/winbake.yaml"}

// Find loads the named file; with name "" it loads the first of
// SearchPaths that exists, or else the embedded default.
func Find(name string) (*Config, error) {
	if name != "" {
		return Load(name)
	}
	for _, p := range SearchPaths {
		if _, err := os.Stat(p); err == nil {
			return Load(p)
		}
	}
	return Parse("(default)", defaultYAML)
}

// Load reads and validates a config file.
func Load(file string) (*Config, error) {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("config file %s does not exist (run without -c to use the embedded default)", file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	return Parse(file, data)
}

// Parse decodes and validates config data read from file. Its error, if
// any, is an Errors listing every problem found.
func Parse(file string, data []byte) (*Config, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: file, Msg: "the file is empty; it needs at least an images: list"}}
		}
		return nil, Errors{syntaxError(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: file, Line: extra.Line, Column: extra.Column, Msg: "a second YAML document; winbake.yaml holds one"}}
	}

	d := &decoder{file: file, pos: map[string]position{}}
	cfg := &Config{Source: file}
	d.decode(doc.Content[0], reflect.ValueOf(cfg).Elem(), "")
	// Validate even a config with decoding errors, so that every problem
	// shows at once; values that failed to decode are not judged again.
	failed := map[string]bool{}
	for _, e := range d.errs {
		failed[e.Path] = true
	}
	cfg.applyDefaults()
	v := &validator{decoder: d, cfg: cfg, failed: failed}
	v.validate()
	if len(d.errs) > 0 {
		sort.SliceStable(d.errs, func(i, j int) bool {
			a, b := d.errs[i], d.errs[j]
			return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
		})
		return nil, d.errs
	}
	cfg.positions = d.pos
	return cfg, nil
}

// Position returns where the value at path (such as "images[0].cache[1]")
// was written, for annotations; ok is false for defaulted values.
func (c *Config) Position(path string) (line, col int, ok bool) {
	p, ok := c.positions[path]
	return p.line, p.col, ok
}

// syntaxError turns yaml.v3's "yaml: line 3: ..." into our shape.
func syntaxError(file string, err error) *Error {
	var line int
	var msg string
	if n, _ := fmt.Sscanf(err.Error(), "yaml: line %d:", &line); n == 1 {
		msg = err.Error()[len(fmt.Sprintf("yaml: line %d: ", line)):]
		return &Error{File: file, Line: line, Column: 1, Msg: "YAML syntax: " + msg}
	}
	return &Error{File: file, Msg: "YAML syntax: " + err.Error()}
}

// Defaults used where the config is silent.
const (
	DefaultVolumeSize   = 100
	DefaultInstanceType = "m6i.xlarge"
	DefaultProfile      = "WinbakeInstanceProfile"
	DefaultPackerFile   = "packer/eks-windows.pkr.hcl"
	MinVolumeSize       = 50 // the EKS-optimized Windows AMIs' root volume
)

func (c *Config) applyDefaults() {
	if c.Builder == "" {
		c.Builder = BuilderImageBuilder
	}
	for i := range c.Images {
		if c.Images[i].VolumeSize == 0 {
			c.Images[i].VolumeSize = DefaultVolumeSize
		}
	}
	ib := &c.ImageBuilder
	if len(ib.InstanceTypes) == 0 {
		ib.InstanceTypes = []string{DefaultInstanceType}
	}
	if ib.InstanceProfile == "" {
		ib.InstanceProfile = DefaultProfile
	}
	if ib.Timeout.Duration == 0 {
		ib.Timeout.Duration = 4 * hour
	}
	for _, fl := range []*FastLaunch{ib.FastLaunch, c.Packer.FastLaunch} {
		if fl != nil && fl.TargetSnapshots == 0 {
			fl.TargetSnapshots = 10
		}
	}
	if c.Packer.Template == "" {
		c.Packer.Template = DefaultPackerFile
	}
	if c.Packer.InstanceType == "" {
		c.Packer.InstanceType = DefaultInstanceType
	}
	if c.Packer.Timeout.Duration == 0 {
		c.Packer.Timeout.Duration = 4 * hour
	}
	if len(c.Bump.Paths) == 0 {
		c.Bump.Paths = []string{"."}
	}
	pr := &c.PullRequest
	if pr.AuthorName == "" {
		pr.AuthorName = "winbake"
	}
	if pr.AuthorEmail == "" {
		pr.AuthorEmail = "winbake@users.noreply.github.com"
	}
}

// Image returns the image called name.
func (c *Config) Image(name string) (Image, bool) {
	for _, img := range c.Images {
		if img.Name == name {
			return img, true
		}
	}
	return Image{}, false
}
