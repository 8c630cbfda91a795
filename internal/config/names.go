package config

import "regexp"

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
