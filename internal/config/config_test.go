package config

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDefaultIsValid(t *testing.T) {
	cfg, err := Parse("(default)", DefaultYAML())
	if err != nil {
		t.Fatal(err)
	}
	img := cfg.Images[0]
	if img.Windows != "2022-core" || !img.UpdatesEnabled() || img.VolumeSize != DefaultVolumeSize || cfg.Builder != BuilderImageBuilder {
		t.Errorf("default image = %+v, builder %q", img, cfg.Builder)
	}
	want := []string{"mcr.microsoft.com/dotnet/framework/aspnet:4.8.1-windowsservercore-ltsc2022", "public.ecr.aws/aws-observability/aws-for-fluent-bit:windowsservercore-stable"}
	if diff := cmp.Diff(want, img.Cache); diff != "" {
		t.Errorf("default cache (-want +got):\n%s", diff)
	}
}

func TestFullConfig(t *testing.T) {
	src := `
builder: packer
images:
  - name: win
    kubernetes: "1.31"
    windows: 2019-full
    updates: false
    cache: [123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:v1]
    volumeSize: 150
    regions: [eu-west-1, eu-central-1]
    amis: [ami-0123456789abcdef0]
imagebuilder:
  instanceTypes: [m6i.2xlarge]
  subnetId: subnet-0123456789abcdef0
  securityGroupIds: [sg-01234567]
  timeout: 90m
  fastLaunch: {maxParallelLaunches: 6}
pullRequest: {labels: [ami], reviewers: [octocat, org/team], draft: true}
`
	cfg, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.ImageBuilder.Timeout.Minutes(); got != 90 {
		t.Errorf("timeout = %v min", got)
	}
	if cfg.ImageBuilder.FastLaunch.TargetSnapshots != 10 {
		t.Errorf("fast launch snapshots default not applied: %+v", cfg.ImageBuilder.FastLaunch)
	}
	if cfg.Images[0].UpdatesEnabled() || cfg.Images[0].BuildRegion() != "eu-west-1" {
		t.Errorf("image = %+v", cfg.Images[0])
	}
	if line, col, ok := cfg.Position("images[0].regions[1]"); !ok || line != 10 || col != 26 {
		t.Errorf("position of regions[1] = %d:%d %v", line, col, ok)
	}
}

func TestWindows2025From135(t *testing.T) {
	src := "images:\n  - name: win\n    kubernetes: \"1.35\"\n    windows: 2025-core\n    regions: [us-east-1]\n"
	if _, err := Parse("w.yaml", []byte(src)); err != nil {
		t.Fatal(err)
	}
}

func TestBadInput(t *testing.T) {
	base := "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n"
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"regions of two partitions", strings.Replace(base, "[us-east-1]", "[us-east-1, us-gov-west-1]", 1),
			[]string{`w.yaml:5:26: images[0].regions[1]: "us-gov-west-1" is in partition aws-us-gov, "us-east-1" in aws: one config bakes in one partition`}},
		{"unknown key with suggestion", base + "    volumeSise: 80\n",
			[]string{`w.yaml:6:5: images[0].volumeSise: unknown field "volumeSise"; did you mean "volumeSize"?`}},
		{"unknown top-level key lists fields", "things: []\n" + base,
			[]string{`w.yaml:1:1: things: unknown field "things"; expected one of builder, bump, imagebuilder, images, packer, pullRequest`}},
		{"wrong type", base + "    volumeSize: big\n",
			[]string{`w.yaml:6:17: images[0].volumeSize: expected an integer, found "big"`}},
		{"float kubernetes", strings.Replace(base, `"1.31"`, `1.30`, 1),
			[]string{`w.yaml:3:17: images[0].kubernetes: expected a string, found the number 1.30; write it in quotes: "1.30"`}},
		{"bad enum", strings.Replace(base, "2022-core", "2022-datacenter", 1),
			[]string{`w.yaml:4:14: images[0].windows: "2022-datacenter" is not a Windows variant; expected one of 2019-core, 2019-full, 2022-core, 2022-full, 2025-core, 2025-full`}},
		{"variant typo gets a suggestion", strings.Replace(base, "2022-core", "2022-Core", 1),
			[]string{`w.yaml:4:14: images[0].windows: "2022-Core" is not a Windows variant; expected one of 2019-core, 2019-full, 2022-core, 2022-full, 2025-core, 2025-full; did you mean "2022-core"?`}},
		{"variant without hyphen gets a suggestion", strings.Replace(base, "2022-core", "2025full", 1),
			[]string{`w.yaml:4:14: images[0].windows: "2025full" is not a Windows variant; expected one of 2019-core, 2019-full, 2022-core, 2022-full, 2025-core, 2025-full; did you mean "2025-full"?`}},
		{"2022 too old", strings.Replace(base, `"1.31"`, `"1.23"`, 1),
			[]string{`w.yaml:3:17: images[0].kubernetes: Windows 2022-core needs Kubernetes 1.24 or newer`}},
		{"2025 before 1.35", strings.NewReplacer(`"1.31"`, `"1.34"`, "2022-core", "2025-core").Replace(base),
			[]string{`w.yaml:3:17: images[0].kubernetes: Windows 2025-core needs Kubernetes 1.35 or newer: EKS publishes no 2025-core AMI for 1.34 (the first Windows Server 2025 EKS AMIs are for 1.35)`}},
		{"leading zero in kubernetes", strings.Replace(base, `"1.31"`, `"1.031"`, 1),
			[]string{`w.yaml:3:17: images[0].kubernetes: "1.031" is not a Kubernetes minor version; expected one such as "1.34"`}},
		{"2025 example is one it accepts", strings.NewReplacer(`"1.31"`, `"v1.35"`, "2022-core", "2025-core").Replace(base),
			[]string{`w.yaml:3:17: images[0].kubernetes: "v1.35" is not a Kubernetes minor version; expected one such as "1.35"`}},
		{"region with a misspelt compass word", strings.Replace(base, "[us-east-1]", "[us-east-1, eu-wset-1]", 1),
			[]string{`w.yaml:5:26: images[0].regions[1]: "eu-wset-1" is not an AWS region name; did you mean "eu-west-1"?`}},
		{"launch template region typo", base + "imagebuilder:\n  launchTemplates:\n    - {region: us-esat-1, id: lt-0123456789abcdef0}\n",
			[]string{`w.yaml:8:16: imagebuilder.launchTemplates[0].region: "us-esat-1" is not an AWS region name; did you mean "us-east-1"?`}},
		{"space after a reference's colon", base + "    cache:\n      - mcr.microsoft.com/windows/servercore: ltsc2022\n",
			[]string{`w.yaml:7:9: images[0].cache[0]: expected a string, found a mapping; YAML reads a colon followed by a space as a key and its value: write "mcr.microsoft.com/windows/servercore:ltsc2022"`}},
		{"single region without brackets", strings.Replace(base, "[us-east-1]", "us-east-1", 1),
			[]string{`w.yaml:5:14: images[0].regions: expected a list, found a single value; write it as a list: [us-east-1]`}},
		{"bad image reference", base + "    cache:\n      - nginx:latest\n      - \"foo bar\"\n",
			[]string{`w.yaml:8:9: images[0].cache[1]: "foo bar" is not an image reference`}},
		{"bad ami", base + "    amis: [ami-123]\n",
			[]string{`w.yaml:6:12: images[0].amis[0]: "ami-123" is not an AMI ID; expected ami- and 8 or 17 hex digits`}},
		{"duplicate names", base + strings.Replace(base, "images:\n", "", 1),
			[]string{`w.yaml:6:11: images[1].name: "win" is already the name of images[0] (line 2)`}},
		{"bad name", strings.Replace(base, "name: win", "name: Win_1", 1),
			[]string{`w.yaml:2:11: images[0].name: "Win_1" is not a valid name`}},
		{"fast launch too small", base + "imagebuilder:\n  fastLaunch:\n    maxParallelLaunches: 2\n",
			[]string{`w.yaml:8:26: imagebuilder.fastLaunch.maxParallelLaunches: 2 is too low; EC2 Fast Launch needs at least 6`}},
		{"packer fast launch too small", base + "packer:\n  fastLaunch: {maxParallelLaunches: 4}\n",
			[]string{`w.yaml:7:37: packer.fastLaunch.maxParallelLaunches: 4 is too low; EC2 Fast Launch needs at least 6`}},
		{"empty fast launch says what is missing", base + "packer:\n  fastLaunch: {}\n",
			[]string{`w.yaml:7:15: packer.fastLaunch.maxParallelLaunches: missing; setting fastLaunch turns EC2 Fast Launch on, and it needs maxParallelLaunches of at least 6`}},
		{"missing fields point at the image", "images:\n  - name: win\n",
			[]string{
				`w.yaml:2:5: images[0].windows: missing`,
				`w.yaml:2:5: images[0].kubernetes: missing`,
				`w.yaml:2:5: images[0].regions: missing`,
			}},
		{"all errors at once", "builder: chef\nimages:\n  - name: a\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [mars-1]\n    volumeSize: 10\n",
			[]string{
				`w.yaml:1:10: builder: "chef" is not a builder; expected imagebuilder or packer`,
				`w.yaml:6:15: images[0].regions[0]: "mars-1" is not an AWS region name`,
				`w.yaml:7:17: images[0].volumeSize: 10 GiB is out of range`,
			}},
		{"yaml syntax", "images:\n  - name: [\n", []string{`w.yaml:2:1: YAML syntax:`}},
		{"empty", "", []string{`w.yaml: the file is empty`}},
		{"no images", "builder: packer\n", []string{`w.yaml:1:1: images: no images`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("w.yaml", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error; config = %+v", cfg)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error %T is not Errors: %v", err, err)
			}
			if len(errs) != len(tc.want) {
				t.Fatalf("got %d errors, want %d:\n%v", len(errs), len(tc.want), err)
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(errs[i].Error(), w) {
					t.Errorf("error %d:\n got %s\nwant %s...", i, errs[i], w)
				}
			}
		})
	}
}

// Every region of aws-sdk-go-v2's partitions.json shaped like a region
// passes the compass-word check.
func TestRealRegionsAccepted(t *testing.T) {
	for _, r := range []string{"us-east-1", "eu-west-3", "ap-southeast-7", "ap-northeast-3", "cn-northwest-1", "mx-central-1", "us-gov-west-1", "us-isob-east-1", "eu-isoe-west-1", "il-central-1"} {
		src := "images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [" + r + "]\n"
		if _, err := Parse("w.yaml", []byte(src)); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}

// Region names from aws-sdk-go-v2's partitions.json, the European Sovereign
// Cloud's four-letter prefix and the ISO partitions included, all load.
func TestRealRegionNamesLoad(t *testing.T) {
	for _, r := range []string{"us-east-1", "ap-southeast-5", "mx-central-1", "us-gov-west-1", "cn-northwest-1", "us-isob-east-1", "eusc-de-east-1"} {
		src := "images:\n  - {name: win, kubernetes: \"1.31\", windows: 2022-core, regions: [" + r + "]}\n"
		if _, err := Parse("w.yaml", []byte(src)); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
}
