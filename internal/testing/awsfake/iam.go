package awsfake

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/winbake/winbake/internal/awsarn"
)

func (s *Server) getInstanceProfile(req *request) (any, *apiError) {
	name := req.form.Get("InstanceProfileName")
	s.mu.Lock()
	ok, role := s.ib.profiles[name], s.ib.profileRoles[name]
	s.mu.Unlock()
	if !ok {
		return nil, &apiError{404, "NoSuchEntity", fmt.Sprintf("Instance Profile %s cannot be found.", name)}
	}
	// IAM API reference, GetInstanceProfile: the profile and its roles
	// (at most one), each list item a <member>.
	type iamRole struct {
		Name string `xml:"RoleName"`
		Arn  string `xml:"Arn"`
		ID   string `xml:"RoleId"`
		Path string `xml:"Path"`
		Date string `xml:"CreateDate"`
	}
	type profile struct {
		Name  string    `xml:"InstanceProfileName"`
		Arn   string    `xml:"Arn"`
		ID    string    `xml:"InstanceProfileId"`
		Path  string    `xml:"Path"`
		Date  string    `xml:"CreateDate"`
		Roles []iamRole `xml:"Roles>member"`
	}
	p := profile{name, awsarn.ARN(req.region, "iam", "", Account, "instance-profile/"+name), "AIPAFAKE", "/", "2026-01-01T00:00:00Z", nil}
	if role != "" {
		path, rname := "/", role
		if i := strings.LastIndex(role, "/"); i >= 0 {
			path, rname = "/"+role[:i+1], role[i+1:]
		}
		p.Roles = []iamRole{{rname, awsarn.ARN(req.region, "iam", "", Account, "role"+path+rname), "AROAFAKE", path, "2026-01-01T00:00:00Z"}}
	}
	return struct {
		XMLName xml.Name `xml:"GetInstanceProfileResponse"`
		XMLNS   string   `xml:"xmlns,attr"`
		Profile profile  `xml:"GetInstanceProfileResult>InstanceProfile"`
	}{XMLNS: "https://iam.amazonaws.com/doc/2010-05-08/", Profile: p}, nil
}
