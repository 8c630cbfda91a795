package awsfake

import (
	"encoding/xml"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// LaunchTemplate is an EC2 launch template with its versions.
type LaunchTemplate struct {
	ID, Name string
	// Images holds each version's ImageId, version 1 first; it may be
	// "resolve:ssm:<parameter>".
	Images []string
	// Default is the default version (1-based; 0 means 1).
	Default int
}

// AddLaunchTemplate stores a launch template in a region and returns its ID.
func (s *Server) AddLaunchTemplate(region string, lt LaunchTemplate) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if lt.ID == "" {
		s.nextID++
		lt.ID = fmt.Sprintf("lt-%017x", 0x17000000+s.nextID)
	}
	if lt.Name == "" {
		lt.Name = lt.ID
	}
	if lt.Default == 0 {
		lt.Default = 1
	}
	s.launchTemplates[region] = append(s.launchTemplates[region], &lt)
	return lt.ID
}

// describeLaunchTemplateVersions follows
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeLaunchTemplateVersions.html:
// with a template ID or name it describes that template's versions
// ($Latest, $Default or numbers; all of them when none is given); with
// neither, $Latest and/or $Default of every template in the account, and
// numbers are refused. ResolveAlias shows the AMI an SSM parameter
// resolves to instead of the parameter.
func (s *Server) describeLaunchTemplateVersions(req *request) (any, *apiError) {
	id, name := req.form.Get("LaunchTemplateId"), req.form.Get("LaunchTemplateName")
	versions := indexed(req.form, "LaunchTemplateVersion")
	resolve := req.form.Get("ResolveAlias") == "true"
	s.mu.Lock()
	defer s.mu.Unlock()
	var templates []*LaunchTemplate
	switch {
	case id != "" && name != "":
		return nil, errorf(400, "InvalidParameterCombination", "Specify a launch template ID or name, not both")
	case id == "" && name == "":
		for _, v := range versions {
			if v != "$Latest" && v != "$Default" {
				return nil, errorf(400, "InvalidParameterValue", "Version %q: without a launch template, only $Latest and $Default can be described", v)
			}
		}
		if len(versions) == 0 {
			return nil, errorf(400, "MissingParameter", "Specify a launch template ID or name, or the versions $Latest or $Default")
		}
		templates = s.launchTemplates[req.region]
	default:
		for _, lt := range s.launchTemplates[req.region] {
			if lt.ID == id || lt.Name == name {
				templates = append(templates, lt)
			}
		}
		if len(templates) == 0 && id != "" {
			return nil, errorf(400, "InvalidLaunchTemplateId.NotFound", "The specified launch template, with template ID %s, does not exist.", id)
		}
		if len(templates) == 0 {
			return nil, errorf(400, "InvalidLaunchTemplateName.NotFoundException", "The specified launch template, with template name %s, does not exist.", name)
		}
	}
	type data struct {
		ImageID string `xml:"imageId,omitempty"`
	}
	type version struct {
		TemplateID   string `xml:"launchTemplateId"`
		TemplateName string `xml:"launchTemplateName"`
		Number       int    `xml:"versionNumber"`
		Created      string `xml:"createTime"`
		Default      bool   `xml:"defaultVersion"`
		Data         data   `xml:"launchTemplateData"`
	}
	var out []version
	for _, lt := range templates {
		var numbers []int
		for _, v := range versions {
			switch v {
			case "$Latest":
				numbers = append(numbers, len(lt.Images))
			case "$Default":
				numbers = append(numbers, lt.Default)
			default:
				n, err := strconv.Atoi(v)
				if err != nil || n < 1 || n > len(lt.Images) {
					return nil, errorf(400, "InvalidLaunchTemplateId.VersionNotFound", "Could not find launch template version %s for template %s", v, lt.ID)
				}
				numbers = append(numbers, n)
			}
		}
		if len(versions) == 0 {
			for n := range lt.Images {
				numbers = append(numbers, n+1)
			}
		}
		slices.Sort(numbers)
		for _, n := range slices.Compact(numbers) {
			image := lt.Images[n-1]
			if p, ok := strings.CutPrefix(image, "resolve:ssm:"); ok && resolve {
				image = s.params[req.region][p]
			}
			out = append(out, version{lt.ID, lt.Name, n, s.Clock.Now().UTC().Format("2006-01-02T15:04:05.000Z"), n == lt.Default, data{image}})
		}
	}
	from, to, next, perr := s.pageLocked(req, launchTemplateVersionsPaging, len(out))
	if perr != nil {
		return nil, perr
	}
	return struct {
		XMLName   xml.Name  `xml:"DescribeLaunchTemplateVersionsResponse"`
		XMLNS     string    `xml:"xmlns,attr"`
		RequestID string    `xml:"requestId"`
		Versions  []version `xml:"launchTemplateVersionSet>item"`
		NextToken string    `xml:"nextToken,omitempty"`
	}{XMLNS: ec2NS, RequestID: "fake", Versions: out[from:to], NextToken: next}, nil
}

// Instance is an EC2 instance.
type Instance struct {
	ID      string
	ImageID string
	// State is pending, running, shutting-down, terminated, stopping or stopped.
	State string
}

// instanceStateCodes are the codes of InstanceState.Code:
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html
var instanceStateCodes = map[string]int{"pending": 0, "running": 16, "shutting-down": 32, "terminated": 48, "stopping": 64, "stopped": 80}

// AddInstance stores an instance in a region and returns its ID.
func (s *Server) AddInstance(region string, in Instance) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ID == "" {
		s.nextID++
		in.ID = fmt.Sprintf("i-%017x", 0x1000000+s.nextID)
	}
	if in.State == "" {
		in.State = "running"
	}
	if _, ok := instanceStateCodes[in.State]; !ok {
		panic("awsfake: unknown instance state " + in.State)
	}
	s.instances[region] = append(s.instances[region], &in)
	return in.ID
}

// describeInstances follows
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
// for the InstanceId.N parameter and the image-id and instance-state-name
// filters.
func (s *Server) describeInstances(req *request) (any, *apiError) {
	ids := indexed(req.form, "InstanceId")
	filters := ec2Filters(req.form)
	if filters.values() > maxFilterValues {
		return nil, errorf(400, "FilterLimitExceeded", "The maximum number of filter values specified on a single call is %d", maxFilterValues)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	type state struct {
		Code int    `xml:"code"`
		Name string `xml:"name"`
	}
	type instance struct {
		ID      string `xml:"instanceId"`
		ImageID string `xml:"imageId"`
		State   state  `xml:"instanceState"`
	}
	type reservation struct {
		ID        string     `xml:"reservationId"`
		Owner     string     `xml:"ownerId"`
		Instances []instance `xml:"instancesSet>item"`
	}
	var out []reservation
	for _, in := range s.instances[req.region] {
		if len(ids) > 0 && !slices.Contains(ids, in.ID) {
			continue
		}
		ok := filters.match(func(name string) ([]string, bool) {
			switch name {
			case "image-id":
				return []string{in.ImageID}, true
			case "instance-state-name":
				return []string{in.State}, true
			case "instance-id":
				return []string{in.ID}, true
			}
			return nil, false
		})
		if ok {
			out = append(out, reservation{"r-" + strings.TrimPrefix(in.ID, "i-"), Account,
				[]instance{{in.ID, in.ImageID, state{instanceStateCodes[in.State], in.State}}}})
		}
	}
	from, to, next, perr := s.pageLocked(req, instancesPaging, len(out))
	if perr != nil {
		return nil, perr
	}
	return struct {
		XMLName      xml.Name      `xml:"DescribeInstancesResponse"`
		XMLNS        string        `xml:"xmlns,attr"`
		RequestID    string        `xml:"requestId"`
		Reservations []reservation `xml:"reservationSet>item"`
		NextToken    string        `xml:"nextToken,omitempty"`
	}{XMLNS: ec2NS, RequestID: "fake", Reservations: out[from:to], NextToken: next}, nil
}
