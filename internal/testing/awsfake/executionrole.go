package awsfake

import (
	"strings"

	"github.com/winbake/winbake/internal/awsarn"
)

// executionRoleARN is the ARN of CreateImage's executionRole, which the
// Image Builder API reference takes as a name or an ARN.
func executionRoleARN(region, role string) string {
	if strings.HasPrefix(role, "arn:") {
		return role
	}
	return awsarn.ARN(region, "iam", "", Account, "role/"+role)
}

// ssmOutputRefused says why distribution cannot write an SSM output
// parameter, or "". Image Builder writes it as the execution role passed on
// CreateImage, which needs ssm:PutParameter on it (Image Builder User
// Guide, "Create and update AMI distribution configurations",
// "Prerequisites for SSM output parameters"); without one it has only its
// service-linked role, whose policy (AWSServiceRoleForImageBuilder) holds no
// ssm:PutParameter. The fake takes a given execution role to hold it.
func (ib *imageBuilder) ssmOutputRefused(bl *ibBuild, region, name string) string {
	if str(bl.body, "executionRole") != "" {
		return ""
	}
	return "SSM parameter " + name + " in " + region + ": User: " +
		awsarn.ARN(region, "sts", "", Account, "assumed-role/AWSServiceRoleForImageBuilder/ImageBuilder") +
		" is not authorized to perform: ssm:PutParameter on resource: " +
		awsarn.ARN(region, "ssm", region, Account, "parameter"+name) +
		" because no identity-based policy allows the ssm:PutParameter action"
}

// ExecutionRoles lists the execution role of each build, in creation
// order ("" for a build started without one).
func (s *Server) ExecutionRoles() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, bl := range s.ib.builds {
		out = append(out, str(bl.body, "executionRole"))
	}
	return out
}
