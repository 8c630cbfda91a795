package components

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/winbake/winbake/internal/config"
)

// MaxInlineData is the most characters EC2 Image Builder accepts as a
// component's inline data; larger documents must come from S3.
const MaxInlineData = 16000

// Document is an AWSTOE component document.
type Document struct {
	Name          string        `yaml:"name"`
	Description   string        `yaml:"description"`
	SchemaVersion schemaVersion `yaml:"schemaVersion"`
	Phases        []Phase       `yaml:"phases"`
}

// Phase is one of build, validate and test.
type Phase struct {
	Name  string `yaml:"name"`
	Steps []Step `yaml:"steps"`
}

// Step runs one action.
type Step struct {
	Name           string         `yaml:"name"`
	Action         string         `yaml:"action"`
	TimeoutSeconds int            `yaml:"timeoutSeconds,omitempty"`
	OnFailure      string         `yaml:"onFailure,omitempty"`
	MaxAttempts    int            `yaml:"maxAttempts,omitempty"`
	Inputs         map[string]any `yaml:"inputs"`
}

// schemaVersion is written as the number 1.0, as AWSTOE documents do.
type schemaVersion struct{}

func (schemaVersion) MarshalYAML() (any, error) {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1.0"}, nil
}

// ComponentName is the Image Builder component of an image.
func ComponentName(image string) string { return "winbake-" + image }

// Component renders the component document that caches an image's
// container images: pull in build, check in validate, and check again in
// test, on an instance launched from the new AMI.
func Component(img config.Image, cache []CacheImage) ([]byte, error) {
	if len(cache) == 0 {
		return nil, fmt.Errorf("image %s: nothing to cache (its cache: list is empty)", img.Name)
	}
	doc, err := component(img, cache)
	if err != nil {
		return nil, err
	}
	n := len([]rune(string(doc)))
	if n <= MaxInlineData {
		return doc, nil
	}
	// Say how many of these images would fit, so the user knows where to split.
	fit := len(cache) - 1
	for ; fit > 0; fit-- {
		if d, err := component(img, cache[:fit]); err == nil && len([]rune(string(d))) <= MaxInlineData {
			break
		}
	}
	return nil, fmt.Errorf("image %s: the component document is %d characters, over Image Builder's inline limit of %d; its first %d of %d cache images fit: cache the others in another image, or shorten the references", img.Name, n, MaxInlineData, fit, len(cache))
}

// component renders the document, whatever its size.
func component(img config.Image, cache []CacheImage) ([]byte, error) {
	pull, err := Invocation(CacheScript, cache)
	if err != nil {
		return nil, err
	}
	// The cache script leaves the list on the node, and the build leaves
	// verify-images.ps1 beside it; validate and test (on an instance of the
	// new AMI) run it from there. Both are in the document once: inline
	// data is limited to 16,000 characters.
	install, verify := InstallVerifyScript(), RunVerifyScript
	// A Windows base layer is several GB; give each image a generous share
	// of the step's time, since extraction is slower than download.
	timeout := min(900+900*len(cache), 43200)
	doc := Document{
		Name:        ComponentName(img.Name),
		Description: fmt.Sprintf("Pre-pulls %d container images into containerd (namespace k8s.io) for EKS Windows %s nodes. Rendered by winbake from winbake.yaml; edit that instead.", len(cache), img.Windows),
		Phases: []Phase{
			{Name: "build", Steps: []Step{{
				Name: "CacheContainerImages", Action: "ExecutePowerShell",
				TimeoutSeconds: timeout, OnFailure: "Abort", MaxAttempts: 2,
				Inputs: map[string]any{"commands": []string{pull}},
			}, {
				Name: "InstallVerifyScript", Action: "ExecutePowerShell",
				TimeoutSeconds: 60, OnFailure: "Abort", MaxAttempts: 2,
				Inputs: map[string]any{"commands": []string{install}},
			}}},
			{Name: "validate", Steps: []Step{{
				Name: "VerifyContainerImages", Action: "ExecutePowerShell",
				TimeoutSeconds: 300, OnFailure: "Abort", MaxAttempts: 1,
				Inputs: map[string]any{"commands": []string{verify}},
			}}},
			{Name: "test", Steps: []Step{{
				Name: "VerifyContainerImagesOnNewInstance", Action: "ExecutePowerShell",
				TimeoutSeconds: 300, OnFailure: "Abort", MaxAttempts: 1,
				Inputs: map[string]any{"commands": []string{verify}},
			}}},
		},
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encoding the component of %s: %w", img.Name, err)
	}
	if problems := CheckAWSTOE(buf.Bytes()); len(problems) > 0 {
		return nil, fmt.Errorf("image %s: the rendered component breaks the AWSTOE rules: %s", img.Name, strings.Join(problems, "; "))
	}
	return buf.Bytes(), nil
}
