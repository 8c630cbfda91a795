package policy

import "github.com/winbake/winbake/internal/awsarn"

// prune adds what winbake prune needs. It finds candidates and what still
// uses them with Describe calls, which support no resource-level
// permissions. What it changes is held to AMIs and snapshots tagged
// winbake:image with one of the config's images (aws:ResourceTag, which EC2
// supports on image and snapshot resources), and the tags it writes on
// snapshots to that key (aws:RequestTag).
func (g *gen) prune() {
	g.add(Statement{Sid: "PruneDescribe", Resource: []string{"*"}, Action: []string{
		"ec2:DescribeImages", "ec2:DescribeSnapshots", "ec2:DescribeLaunchTemplateVersions",
		"ec2:DescribeInstances", "ec2:DescribeFastLaunchImages",
	}})
	var images, snapshots []string
	for _, r := range g.regions() {
		// AMI and snapshot ARNs name no account.
		images = append(images, awsarn.ARN(r, "ec2", r, "", "image/*"))
		snapshots = append(snapshots, awsarn.ARN(r, "ec2", r, "", "snapshot/*"))
	}
	g.add(Statement{Sid: "PruneDeregisterTaggedAMIs", Resource: images, Condition: g.tagged("aws:ResourceTag"),
		Action: []string{"ec2:DeregisterImage", "ec2:DisableFastLaunch"}})
	g.add(Statement{Sid: "PruneDeleteTaggedSnapshots", Resource: snapshots, Condition: g.tagged("aws:ResourceTag"),
		Action: []string{"ec2:DeleteSnapshot"}})
	g.add(Statement{Sid: "PruneTagSnapshots", Resource: snapshots, Condition: g.tagged("aws:RequestTag"),
		Action: []string{"ec2:CreateTags"}})
	if params := g.outputParameters(); len(params) > 0 {
		g.add(Statement{Sid: "PruneReadOutputParameter", Action: []string{"ssm:GetParameter"}, Resource: params})
	}
}
