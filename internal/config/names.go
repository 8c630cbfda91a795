package config

import (
	"regexp"
	"strings"

	"github.com/winbake/winbake/internal/awsarn"
)

var (
	// Launch template names: 3 to 128 of [a-zA-Z0-9().\-/_] (EC2 API
	// reference, CreateLaunchTemplate, LaunchTemplateName).
	launchTmplNameRE    = regexp.MustCompile(`^[a-zA-Z0-9().\-/_]{3,128}$`)
	launchTmplVersionRE = regexp.MustCompile(`^[1-9][0-9]*$`)
	// IAM names: [\w+=,.@-]{1,64} (IAM API reference, CreateRole, RoleName).
	iamNameRE = regexp.MustCompile(`^[\w+=,.@-]{1,64}$`)
	// A role may sit under a path (/build/), which its ARN holds
	// (role/build/Name); the path's parts are of the same characters.
	iamRolePathRE = regexp.MustCompile(`^(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
	// A role's ARN: arn:<partition>:iam::<account>:role/<path><name>.
	iamRoleARNRE = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role/(?:[\w+=,.@-]+/)*[\w+=,.@-]{1,64}$`)
)

// imageBuilderNames checks the names of what Image Builder is pointed at:
// the instance profile's role and Fast Launch's launch template.
func (v *validator) imageBuilderNames() {
	ib := v.cfg.ImageBuilder
	if ib.InstanceProfileRole != "" && !iamRolePathRE.MatchString(ib.InstanceProfileRole) {
		v.at("imagebuilder.instanceProfileRole", "%q is not an IAM role name; expected letters, digits and +=,.@_- (at most 64), after its path if it has one (build/WinbakeBuild)", ib.InstanceProfileRole)
	}
	if fl := ib.FastLaunch; fl != nil && fl.LaunchTemplate != nil {
		v.fastLaunchTemplate(*fl.LaunchTemplate)
	}
	v.executionRole()
}

// executionRole checks the role Image Builder runs the build as. Image
// Builder writes an SSM output parameter during distribution only with
// ssm:PutParameter in the execution role passed on CreateImage; its
// service-linked role has no ssm:PutParameter (Image Builder User Guide,
// "Create and update AMI distribution configurations", "Prerequisites for
// SSM output parameters"; AWSServiceRoleForImageBuilder's policy).
func (v *validator) executionRole() {
	ib := v.cfg.ImageBuilder
	const p = "imagebuilder.executionRole"
	switch role := ib.ExecutionRole; {
	case role == "":
		if ib.SSMParameter != "" && v.cfg.Builder == BuilderImageBuilder {
			v.at("imagebuilder.ssmParameter", "needs imagebuilder.executionRole: Image Builder writes the AMI ID into the parameter as an execution role with ssm:PutParameter on it, "+
				"and its own service-linked role has none; create a role trusted by imagebuilder.amazonaws.com with the managed policy EC2ImageBuilderExecutionPolicy, "+
				"ssm:PutParameter on the parameter and ec2:DescribeImages (see the README, IAM), and name it in imagebuilder.executionRole")
		}
	case strings.HasPrefix(role, "arn:"):
		m := iamRoleARNRE.FindStringSubmatch(role)
		if m == nil {
			v.at(p, "%q is not an IAM role ARN; expected arn:aws:iam::123456789012:role/WinbakeExecution", role)
			return
		}
		if len(v.cfg.Images) > 0 && len(v.cfg.Images[0].Regions) > 0 && regionRE.MatchString(v.cfg.Images[0].BuildRegion()) {
			if want := awsarn.Partition(v.cfg.Images[0].BuildRegion()); m[1] != want {
				v.at(p, "%q is in partition %s, but the images are built in %s", role, m[1], want)
			}
		}
	case !iamNameRE.MatchString(role):
		v.at(p, "%q is not an IAM role name; expected letters, digits and +=,.@_- (at most 64), or the role's ARN if it has a path", role)
	}
}

// fastLaunchTemplate checks the launch template of EC2 Fast Launch: an ID
// or a name, not both (Image Builder API reference,
// FastLaunchLaunchTemplateSpecification), and a version number, $Default
// or $Latest. An ID names a template in one Region only.
func (v *validator) fastLaunchTemplate(lt FastLaunchTemplate) {
	p := "imagebuilder.fastLaunch.launchTemplate"
	switch {
	case lt.ID == "" && lt.Name == "":
		v.at(p, "missing: give the launch template's id or its name")
	case lt.ID != "" && lt.Name != "":
		v.at(p, "both id and name: give one (Image Builder takes either)")
	case lt.ID != "" && !launchTmplRE.MatchString(lt.ID):
		v.at(p+".id", "%q is not a launch template ID; expected lt- and 17 hex digits", lt.ID)
	case lt.Name != "" && !launchTmplNameRE.MatchString(lt.Name):
		v.at(p+".name", "%q is not a launch template name; expected 3 to 128 letters, digits and ().-/_", lt.Name)
	}
	if lt.ID != "" {
		for i, img := range v.cfg.Images {
			if len(img.Regions) > 1 {
				v.at(p+".id", "a launch template ID names a template in one Region, but images[%d] goes to %d; use name, with a template of that name in each Region", i, len(img.Regions))
				break
			}
		}
	}
	if lt.Version != "" && lt.Version != "$Default" && lt.Version != "$Latest" && !launchTmplVersionRE.MatchString(lt.Version) {
		v.at(p+".version", "%q is not a launch template version; expected a number, $Default or $Latest", lt.Version)
	}
}
