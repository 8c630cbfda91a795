package components

import "testing"

// TestARNsInTheRegionsPartition: GovCloud and China are partitions of their
// own; an arn:aws ARN there names nothing.
func TestARNsInTheRegionsPartition(t *testing.T) {
	for region, want := range map[string]string{
		"us-east-1":     "arn:aws:imagebuilder:us-east-1:aws:component/update-windows/x.x.x",
		"us-gov-west-1": "arn:aws-us-gov:imagebuilder:us-gov-west-1:aws:component/update-windows/x.x.x",
		"cn-north-1":    "arn:aws-cn:imagebuilder:cn-north-1:aws:component/update-windows/x.x.x",
	} {
		if got := UpdateWindowsARN(region); got != want {
			t.Errorf("UpdateWindowsARN(%s) = %s, want %s", region, got, want)
		}
	}
	if got := ComponentARN("cn-north-1", "123456789012", "win", "1.0.0"); got != "arn:aws-cn:imagebuilder:cn-north-1:123456789012:component/winbake-win/1.0.0" {
		t.Errorf("ComponentARN = %s", got)
	}
}
