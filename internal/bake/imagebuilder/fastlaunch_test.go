package imagebuilder_test

import (
	"strings"
	"testing"
)

// TestFastLaunchLaunchTemplate: where a Region has no default VPC, or the
// account enforces IMDSv2, Fast Launch needs a launch template; the
// configured one goes into every region's fast-launch configuration.
func TestFastLaunchLaunchTemplate(t *testing.T) {
	e := newEnv(t, cfgYAML)
	e.aws.SetFastLaunchNeedsTemplate("eu-west-1", "no default VPC in the Region")
	ip := e.planFor(digestA)
	_, err := e.bake(t, ip)
	if err == nil || !strings.Contains(err.Error(), "EC2 Fast Launch in eu-west-1: no default VPC in the Region") {
		t.Fatalf("without a launch template: err = %v", err)
	}

	e = newEnv(t, strings.Replace(cfgYAML, "fastLaunch: {maxParallelLaunches: 6}",
		"fastLaunch: {maxParallelLaunches: 6, launchTemplate: {name: winbake-fast-launch, version: \"3\"}}", 1))
	e.aws.SetFastLaunchNeedsTemplate("eu-west-1", "no default VPC in the Region")
	if _, err := e.bake(t, e.planFor(digestA)); err != nil {
		t.Fatalf("with a launch template: %v\n%s", err, e.log)
	}
	dists, _ := e.aws.DistributionConfiguration("us-east-1", "winbake-win")["distributions"].([]any)
	for _, d := range dists {
		fl := d.(map[string]any)["fastLaunchConfigurations"].([]any)[0].(map[string]any)
		lt, _ := fl["launchTemplate"].(map[string]any)
		if lt["launchTemplateName"] != "winbake-fast-launch" || lt["launchTemplateVersion"] != "3" || lt["launchTemplateId"] != nil {
			t.Errorf("fast launch configuration %v", fl)
		}
	}
}
