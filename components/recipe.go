package components

import (
	"encoding/json"
	"fmt"

	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsarn"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/windows"
)

// Recipe is the body of an Image Builder CreateImageRecipe request, in the
// API's own JSON names (aws imagebuilder create-image-recipe --cli-input-json).
type Recipe struct {
	Name                string               `json:"name"`
	Description         string               `json:"description"`
	SemanticVersion     string               `json:"semanticVersion"`
	ParentImage         string               `json:"parentImage"`
	Components          []RecipeComponent    `json:"components"`
	BlockDeviceMappings []BlockDeviceMapping `json:"blockDeviceMappings"`
	WorkingDirectory    string               `json:"workingDirectory"`
	Tags                map[string]string    `json:"tags"`
}

// RecipeComponent names a component by ARN.
type RecipeComponent struct {
	ComponentARN string `json:"componentArn"`
}

// BlockDeviceMapping sizes the root volume.
type BlockDeviceMapping struct {
	DeviceName string `json:"deviceName"`
	EBS        EBS    `json:"ebs"`
}

// EBS is a block device's volume.
type EBS struct {
	VolumeSize          int    `json:"volumeSize"`
	VolumeType          string `json:"volumeType"`
	DeleteOnTermination bool   `json:"deleteOnTermination"`
	Encrypted           bool   `json:"encrypted"`
}

// AccountPlaceholder stands for the AWS account in rendered ARNs until the
// bake, which knows the account, fills it in.
const AccountPlaceholder = "${AWS_ACCOUNT_ID}"

// UpdateWindowsARN is Amazon's managed update-windows component, newest version.
func UpdateWindowsARN(region string) string {
	return awsarn.ARN(region, "imagebuilder", region, "aws", "component/update-windows/x.x.x")
}

// ComponentARN is the ARN of a version of our component.
func ComponentARN(region, account, image, version string) string {
	return awsarn.ARN(region, "imagebuilder", region, account, "component/"+ComponentName(image)+"/"+version)
}

// ParentImage is the recipe's parent: the planned base AMI when there is one,
// else the variant's public SSM parameter, which Image Builder resolves.
func ParentImage(img config.Image, baseAMI string) string {
	if baseAMI != "" {
		return baseAMI
	}
	v, _ := windows.Lookup(img.Windows)
	return "ssm:" + v.SSMParameter(img.Kubernetes)
}

// NewRecipe builds the image recipe of an image, built in its first
// region, around our component (by ARN) and the parent image.
func NewRecipe(img config.Image, componentARN, parent string) Recipe {
	var comps []RecipeComponent
	if img.UpdatesEnabled() {
		comps = append(comps, RecipeComponent{UpdateWindowsARN(img.BuildRegion())})
	}
	comps = append(comps, RecipeComponent{componentARN})
	return Recipe{
		Name:            ComponentName(img.Name),
		Description:     fmt.Sprintf("EKS Windows %s for Kubernetes %s with %d cached container images", img.Windows, img.Kubernetes, len(img.Cache)),
		SemanticVersion: "1.0.0",
		ParentImage:     parent,
		Components:      comps,
		BlockDeviceMappings: []BlockDeviceMapping{{
			DeviceName: "/dev/sda1",
			EBS:        EBS{VolumeSize: img.VolumeSize, VolumeType: "gp3", DeleteOnTermination: true, Encrypted: true},
		}},
		WorkingDirectory: `C:\`,
		Tags:             Tags(img),
	}
}

// Tags are put on every resource and AMI winbake makes for an image.
func Tags(img config.Image) map[string]string {
	return map[string]string{
		amitag.Image:      img.Name,
		amitag.Kubernetes: img.Kubernetes,
		amitag.Windows:    img.Windows,
	}
}

// MarshalRecipe writes a recipe as indented JSON.
func MarshalRecipe(r Recipe) ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
