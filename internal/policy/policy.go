// Package policy writes the least-privilege IAM policy a winbake config
// needs: every action winbake calls and every action AWS authorizes beside
// those calls, each on the narrowest resource IAM lets a policy name.
//
// Which resources and condition keys an action takes comes from the
// Service Authorization Reference ("Actions, resources, and condition keys
// for Amazon EC2 Image Builder", and the pages for Amazon EC2, AWS Systems
// Manager, AWS Identity and Access Management, Amazon S3 and Amazon ECR).
package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/winbake/winbake/components"
	"github.com/winbake/winbake/internal/awsarn"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/ecr"
)

// TagImage is the tag on everything winbake makes; conditions name it.
const TagImage = "winbake:image"

// Document is an IAM policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement of a policy document.
type Statement struct {
	Sid       string                    `json:"Sid"`
	Effect    string                    `json:"Effect"`
	Action    []string                  `json:"Action"`
	Resource  []string                  `json:"Resource"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Actions lists every action the document allows.
func (d Document) Actions() []string {
	var out []string
	for _, s := range d.Statement {
		out = append(out, s.Action...)
	}
	return sorted(out)
}

// ManagedPolicyLimit is the most characters a customer managed policy may
// hold, white space not counted; a role's inline policies may hold 10,240
// together (IAM User Guide, "IAM and AWS STS quotas").
const ManagedPolicyLimit = 6144

// Size is the length of the document as IAM counts it, without white space
// (no name or ARN winbake writes holds a space).
func Size(d Document) int {
	b, _ := json.Marshal(d)
	return len(b)
}

// Marshal writes the document as indented JSON with a final newline.
func Marshal(d Document) ([]byte, error) {
	b, err := json.MarshalIndent(d, "", "  ")
	return append(b, '\n'), err
}

// Inputs are what the config does not say: the account, and the role inside
// the instance profile (winbake policy looks both up when it has credentials).
type Inputs struct {
	// Account is the AWS account ID; "" writes "*" in its place.
	Account string
	// InstanceProfileRoleARN is the ARN of the instance profile's role as
	// iam:GetInstanceProfile reports it; "" builds it from the config.
	InstanceProfileRoleARN string
	// InstanceProfileARN is the instance profile's ARN as
	// iam:GetInstanceProfile reports it, its path included; "" allows the
	// name under any path.
	InstanceProfileARN string
}

// For writes the policy of cfg, or says why it cannot.
func For(cfg *config.Config, in Inputs) (Document, error) {
	if cfg.Builder != config.BuilderImageBuilder {
		return Document{}, errors.New("winbake policy covers the imagebuilder builder; the packer builder needs the permissions packer-plugin-amazon documents for amazon-ebs")
	}
	// A wildcard in a name would widen the resource it scopes.
	ic := cfg.ImageBuilder
	for field, v := range map[string]string{"instanceProfile": ic.InstanceProfile, "instanceProfileRole": ic.InstanceProfileRole, "logBucket": ic.LogBucket, "executionRole": ic.ExecutionRole} {
		if strings.ContainsAny(v, "*?") {
			return Document{}, fmt.Errorf("imagebuilder.%s: %q holds an IAM wildcard; name the resource itself", field, v)
		}
	}
	return Generate(cfg, in), nil
}

// Generate writes the policy for an Image Builder config: planning, the
// bake, and prune.
func Generate(cfg *config.Config, in Inputs) Document {
	g := &gen{cfg: cfg, account: in.Account, roleARN: in.InstanceProfileRoleARN, profileARN: in.InstanceProfileARN}
	if g.account == "" {
		g.account = "*"
	}
	g.plan()
	g.imageBuilder()
	g.prune()
	return Document{Version: "2012-10-17", Statement: g.out}
}

type gen struct {
	cfg        *config.Config
	account    string
	roleARN    string
	profileARN string
	out        []Statement
}

func (g *gen) add(s Statement) {
	s.Effect = "Allow"
	s.Action = sorted(s.Action)
	s.Resource = slices.Compact(s.Resource)
	g.out = append(g.out, s)
}

func sorted(list []string) []string {
	list = slices.Clone(list)
	sort.Strings(list)
	return slices.Compact(list)
}

// regions lists every region an image goes to.
func (g *gen) regions() []string {
	var out []string
	for _, img := range g.cfg.Images {
		out = append(out, img.Regions...)
	}
	return sorted(out)
}

// buildRegions lists the regions images are built in, where their Image
// Builder resources live.
func (g *gen) buildRegions() []string {
	var out []string
	for _, img := range g.cfg.Images {
		out = append(out, img.BuildRegion())
	}
	return sorted(out)
}

func (g *gen) imageNames() []string {
	var out []string
	for _, img := range g.cfg.Images {
		out = append(out, img.Name)
	}
	return sorted(out)
}

// home is the region whose partition the global ARNs (IAM, S3) take.
func (g *gen) home() string { return g.cfg.Images[0].BuildRegion() }

// tagged holds a request (aws:RequestTag) or a resource (aws:ResourceTag)
// to winbake's image tag with one of the config's image names.
func (g *gen) tagged(key string) map[string]map[string]any {
	return map[string]map[string]any{"StringEquals": {key + "/" + TagImage: g.imageNames()}}
}

func (g *gen) plan() {
	// The EKS-optimized AMIs' public parameters have no account in their ARN.
	var params []string
	for _, r := range g.regions() {
		params = append(params, awsarn.ARN(r, "ssm", r, "", "parameter/aws/service/ami-windows-latest/*"))
	}
	g.add(Statement{Sid: "PlanReadBaseAMIParameters", Action: []string{"ssm:GetParameter"}, Resource: params})
	// DescribeImages supports no resource-level permissions.
	g.add(Statement{Sid: "PlanDescribeImages", Action: []string{"ec2:DescribeImages"}, Resource: []string{"*"}})

	var repos []string
	for _, img := range g.cfg.Images {
		for _, ref := range slices.Concat(img.Cache, img.BaseImages) {
			if arn, ok := ecrRepository(ref); ok {
				repos = append(repos, arn)
			}
		}
	}
	if len(repos) > 0 {
		// GetAuthorizationToken supports no resource-level permissions; the
		// token then reads only the repositories below.
		g.add(Statement{Sid: "PlanECRToken", Action: []string{"ecr:GetAuthorizationToken"}, Resource: []string{"*"}})
		g.add(Statement{Sid: "PlanReadECRImages", Action: []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"}, Resource: sorted(repos)})
	}
}

// ecrRepository is the ARN of the ECR repository of an image reference.
func ecrRepository(ref string) (string, bool) {
	host, path, ok := strings.Cut(ref, "/")
	reg, isECR := ecr.ParseHost(host)
	if !ok || !isECR {
		return "", false
	}
	path, _, _ = strings.Cut(path, "@")
	if i := strings.LastIndex(path, ":"); i >= 0 {
		path = path[:i]
	}
	return awsarn.ARN(reg.Region, "ecr", reg.Region, reg.Account, "repository/"+path), true
}

// ib lists the ARNs of winbake's Image Builder resources of one type
// (named winbake-<image>) in every build region.
func (g *gen) ib(resourceTypes ...string) []string {
	var out []string
	for _, t := range resourceTypes {
		for _, r := range g.buildRegions() {
			out = append(out, awsarn.ARN(r, "imagebuilder", r, g.account, t+"/"+components.ComponentName("*")))
		}
	}
	return out
}

func (g *gen) imageBuilder() {
	ic := g.cfg.ImageBuilder
	home := g.home()
	// GetInstanceProfile takes a name, but IAM authorizes it on the ARN,
	// which holds the profile's path (IAM User Guide, "IAM identifiers").
	profiles := []string{g.profileARN}
	if g.profileARN == "" {
		profiles = []string{awsarn.ARN(home, "iam", "", g.account, "instance-profile/"+ic.InstanceProfile),
			awsarn.ARN(home, "iam", "", g.account, "instance-profile/*/"+ic.InstanceProfile)}
	}
	g.add(Statement{Sid: "BakePreflightInstanceProfile", Action: []string{"iam:GetInstanceProfile"}, Resource: profiles})
	if ic.SubnetID != "" {
		// DescribeSubnets supports no resource-level permissions.
		g.add(Statement{Sid: "BakePreflightSubnet", Action: []string{"ec2:DescribeSubnets"}, Resource: []string{"*"}})
	}
	// Image Builder's List actions take no resource: IAM wants "*".
	g.add(Statement{Sid: "BakeImageBuilderList", Resource: []string{"*"}, Action: []string{
		"imagebuilder:ListComponents", "imagebuilder:ListComponentBuildVersions", "imagebuilder:ListImageRecipes",
		"imagebuilder:ListInfrastructureConfigurations", "imagebuilder:ListDistributionConfigurations",
		"imagebuilder:ListImageBuildVersions",
	}})
	all := g.ib("component", "image-recipe", "infrastructure-configuration", "distribution-configuration", "image")
	// Every create carries the winbake:image tag, and AWS authorizes
	// TagResource for a create with tags: both are held to the tag.
	g.add(Statement{Sid: "BakeImageBuilderCreate", Resource: all, Condition: g.tagged("aws:RequestTag"), Action: []string{
		"imagebuilder:CreateComponent", "imagebuilder:CreateImageRecipe", "imagebuilder:CreateInfrastructureConfiguration",
		"imagebuilder:CreateDistributionConfiguration", "imagebuilder:CreateImage", "imagebuilder:TagResource",
	}})
	// Updates only change configurations winbake made for a configured image.
	g.add(Statement{Sid: "BakeImageBuilderUpdate", Resource: g.ib("infrastructure-configuration", "distribution-configuration"),
		Condition: g.tagged("aws:ResourceTag"), Action: []string{"imagebuilder:UpdateInfrastructureConfiguration", "imagebuilder:UpdateDistributionConfiguration"}})
	// CreateImageRecipe reads its components, Amazon's update-windows too;
	// CreateImage reads the recipe and both configurations.
	read := slices.Clone(all)
	for _, r := range g.buildRegions() {
		read = append(read, awsarn.ARN(r, "imagebuilder", r, "aws", "component/update-windows/*"))
	}
	g.add(Statement{Sid: "BakeImageBuilderRead", Resource: read, Action: []string{
		"imagebuilder:GetComponent", "imagebuilder:GetImageRecipe", "imagebuilder:GetInfrastructureConfiguration",
		"imagebuilder:GetDistributionConfiguration", "imagebuilder:GetImage",
	}})

	role := g.roleARN
	if role == "" {
		role = awsarn.ARN(home, "iam", "", g.account, "role/"+ic.InstanceProfileRoleName())
	}
	// The build instance's role is passed to EC2 (ec2.amazonaws.com.cn in
	// China, as AWSServiceRoleForImageBuilder's own policy lists it).
	passedTo := []string{"ec2.amazonaws.com"}
	if awsarn.Partition(home) == "aws-cn" {
		passedTo = append(passedTo, "ec2.amazonaws.com.cn")
	}
	g.add(Statement{Sid: "BakePassBuildInstanceRole", Action: []string{"iam:PassRole"}, Resource: []string{role},
		Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": passedTo}}})
	// The execution role goes to Image Builder itself, which runs the build
	// and writes the SSM output parameter as it (CreateImage executionRole).
	if exec := ic.ExecutionRoleARN(home, g.account); exec != "" {
		g.add(Statement{Sid: "BakePassExecutionRole", Action: []string{"iam:PassRole"}, Resource: []string{exec},
			Condition: map[string]map[string]any{"StringEquals": {"iam:PassedToService": "imagebuilder.amazonaws.com"}}})
	}
	// An account's first build creates Image Builder's service-linked role
	// (as AWSImageBuilderFullAccess allows it).
	g.add(Statement{Sid: "BakeImageBuilderServiceLinkedRole", Action: []string{"iam:CreateServiceLinkedRole"},
		Resource:  []string{awsarn.ARN(home, "iam", "", g.account, "role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder")},
		Condition: map[string]map[string]any{"StringEquals": {"iam:AWSServiceName": "imagebuilder.amazonaws.com"}}})

	// The build writes its logs to S3 as the instance profile's role, and
	// distribution updates launch templates as Image Builder's
	// service-linked role and SSM parameters as the execution role, long
	// after CreateImage returned (Image Builder User Guide, "Create and
	// update AMI distribution configurations"): the caller needs none of
	// s3:PutObject, ssm:PutParameter or the launch template actions.
}

// outputParameters are the ARNs of the SSM parameter each image's new AMI
// ID goes to, in every region of the image.
func (g *gen) outputParameters() []string {
	name := g.cfg.ImageBuilder.SSMParameter
	if name == "" {
		return nil
	}
	var out []string
	for _, img := range g.cfg.Images {
		p := strings.ReplaceAll(name, "{image}", img.Name)
		for _, r := range img.Regions {
			out = append(out, awsarn.ARN(r, "ssm", r, g.account, "parameter"+p))
		}
	}
	return sorted(out)
}
