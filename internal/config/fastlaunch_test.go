package config

import (
	"strings"
	"testing"
)

func TestFastLaunchTemplate(t *testing.T) {
	const head = `images:
  - {name: win, kubernetes: "1.31", windows: 2022-core, regions: [eu-west-1, eu-central-1]}
imagebuilder:
  fastLaunch:
    maxParallelLaunches: 6
`
	cfg, err := Parse("w.yaml", []byte(head+"    launchTemplate: {name: fast-launch, version: $Latest}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if lt := cfg.ImageBuilder.FastLaunch.LaunchTemplate; lt == nil || lt.Name != "fast-launch" || lt.Version != "$Latest" {
		t.Errorf("launch template = %+v", lt)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"    launchTemplate: {version: \"2\"}\n", "w.yaml:6:21: imagebuilder.fastLaunch.launchTemplate: missing: give the launch template's id or its name"},
		{"    launchTemplate: {id: lt-0123456789abcdef0, name: x-y-z}\n", "imagebuilder.fastLaunch.launchTemplate: both id and name"},
		{"    launchTemplate: {id: lt-0123456789abcdef0}\n", "imagebuilder.fastLaunch.launchTemplate.id: a launch template ID names a template in one Region, but images[0] goes to 2"},
		{"    launchTemplate: {name: \"a b\"}\n", `imagebuilder.fastLaunch.launchTemplate.name: "a b" is not a launch template name`},
		{"    launchTemplate: {name: fast, version: latest}\n", `imagebuilder.fastLaunch.launchTemplate.version: "latest" is not a launch template version`},
	} {
		_, err := Parse("w.yaml", []byte(head+tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", strings.TrimSpace(tc.yaml), err, tc.want)
		}
	}
}

func TestInstanceProfileRole(t *testing.T) {
	const src = `images:
  - {name: win, kubernetes: "1.31", windows: 2022-core, regions: [eu-west-1]}
imagebuilder:
  instanceProfile: BuildProfile
`
	cfg, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ImageBuilder.InstanceProfileRoleName(); got != "BuildProfile" {
		t.Errorf("role defaults to %q, want the profile's name", got)
	}
	cfg, err = Parse("w.yaml", []byte(src+"  instanceProfileRole: BuildRole\n"))
	if err != nil || cfg.ImageBuilder.InstanceProfileRoleName() != "BuildRole" {
		t.Errorf("role = %v, %v", cfg, err)
	}
	if _, err := Parse("w.yaml", []byte(src+"  instanceProfileRole: \"no spaces\"\n")); err == nil || !strings.Contains(err.Error(), "imagebuilder.instanceProfileRole") {
		t.Errorf("err = %v", err)
	}
}

// The Packer template sets no launch template for Fast Launch: one given
// for the Packer path is refused rather than dropped.
func TestPackerFastLaunchTemplateIsRefused(t *testing.T) {
	const src = `images:
  - {name: win, kubernetes: "1.31", windows: 2022-core, regions: [eu-west-1]}
builder: packer
packer:
  fastLaunch:
    maxParallelLaunches: 6
    launchTemplate: {name: fast-launch}
`
	_, err := Parse("w.yaml", []byte(src))
	want := "w.yaml:7:21: packer.fastLaunch.launchTemplate: not supported with the Packer builder"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}
