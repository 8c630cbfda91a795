package awsfake

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/winbake/winbake/internal/awsarn"
)

// statement is one Allow statement of an IAM policy the fake enforces.
type statement struct {
	actions   []string
	resources []*regexp.Regexp
	// conditions: operator → key → allowed values.
	conditions map[string]map[string][]string
}

// AllowPolicy restricts the caller to an IAM policy document. A call, and
// each action AWS authorizes beside it, is allowed when a statement names
// the action, one of its resources matches the ARN the action is
// authorized on (IAM's * and ? wildcards), and its conditions hold
// (StringEquals on aws:RequestTag/*, aws:ResourceTag/*, iam:PassedToService,
// iam:AWSServiceName). Wildcard actions are refused outright.
func (s *Server) AllowPolicy(doc []byte) error {
	var d struct {
		Statement []struct {
			Effect    string
			Action    []string
			Resource  []string
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return fmt.Errorf("awsfake: policy: %w", err)
	}
	var stmts []statement
	for _, st := range d.Statement {
		if st.Effect != "Allow" {
			return fmt.Errorf("awsfake: policy: only Allow statements are enforced, not %q", st.Effect)
		}
		out := statement{actions: st.Action, conditions: map[string]map[string][]string{}}
		for _, r := range st.Resource {
			out.resources = append(out.resources, globRE(r))
		}
		for op, keys := range st.Condition {
			out.conditions[op] = map[string][]string{}
			for k, v := range keys {
				switch v := v.(type) {
				case string:
					out.conditions[op][k] = []string{v}
				case []any:
					for _, x := range v {
						out.conditions[op][k] = append(out.conditions[op][k], fmt.Sprint(x))
					}
				}
			}
		}
		stmts = append(stmts, out)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy, s.statements = nil, stmts
	return nil
}

// globRE turns an IAM resource pattern into a regexp: * is any run of
// characters, / and : included; ? is one character.
func globRE(pattern string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for _, r := range pattern {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	b.WriteString("$")
	return regexp.MustCompile(b.String())
}

// authz is one authorization of a call: an action on a resource, with the
// request's context keys.
type authz struct {
	action   string
	resource string
	context  map[string]string
}

func (s *Server) permitsLocked(a authz) bool {
	if a.action == "sts:GetCallerIdentity" {
		return true // needs no permission (STS API reference)
	}
	if s.statements == nil {
		return s.policy == nil || s.policy[a.action]
	}
	for _, st := range s.statements {
		if !slices.Contains(st.actions, a.action) || !slices.ContainsFunc(st.resources, func(re *regexp.Regexp) bool { return re.MatchString(a.resource) }) {
			continue
		}
		if conditionsHold(st.conditions, a.context) {
			return true
		}
	}
	return false
}

func conditionsHold(conds map[string]map[string][]string, ctx map[string]string) bool {
	for op, keys := range conds {
		if op != "StringEquals" {
			return false // not enforced here: refuse rather than guess
		}
		for k, allowed := range keys {
			v, ok := ctx[k]
			if !ok || !slices.Contains(allowed, v) {
				return false
			}
		}
	}
	return true
}

// authzOf lists what AWS authorizes for a call: the operation's own action
// on its resource, and for Image Builder the actions it authorizes beside
// it (impliedActions).
func (s *Server) authzOf(req *request, action string) []authz {
	ctx := map[string]string{}
	if tags, ok := req.body["tags"].(map[string]any); ok {
		for k, v := range tags {
			ctx["aws:RequestTag/"+k] = fmt.Sprint(v)
		}
	}
	if req.service == "ec2" {
		return s.ec2AuthzLocked(req, action)
	}
	own := authz{action, s.resourceLocked(req), ctx}
	if req.service != "imagebuilder" {
		return []authz{own}
	}
	b := req.body
	// An update is authorized on the configuration it changes, with its tags
	// (aws:ResourceTag, which every Image Builder resource type supports in
	// the Service Authorization Reference).
	var updated *ibResource
	switch req.action {
	case "UpdateInfrastructureConfiguration":
		updated = s.ib.findIn(s.ib.infras, str(b, "infrastructureConfigurationArn"))
	case "UpdateDistributionConfiguration":
		updated = s.ib.findIn(s.ib.dists, str(b, "distributionConfigurationArn"))
	}
	if updated != nil {
		tags, _ := updated.body["tags"].(map[string]any)
		for k, v := range tags {
			ctx["aws:ResourceTag/"+k] = fmt.Sprint(v)
		}
	}
	out := []authz{own}
	for _, a := range impliedActions[req.action] {
		switch a {
		case "imagebuilder:GetComponent":
			comps, _ := b["components"].([]any)
			for _, c := range comps {
				out = append(out, authz{a, str(c.(map[string]any), "componentArn"), nil})
			}
		case "imagebuilder:GetImageRecipe":
			out = append(out, authz{a, str(b, "imageRecipeArn"), nil})
		case "imagebuilder:GetInfrastructureConfiguration":
			out = append(out, authz{a, str(b, "infrastructureConfigurationArn"), nil})
		case "imagebuilder:GetDistributionConfiguration":
			out = append(out, authz{a, str(b, "distributionConfigurationArn"), nil})
		case "iam:PassRole":
			profile := str(b, "instanceProfileName")
			if infra := s.ib.findIn(s.ib.infras, str(b, "infrastructureConfigurationArn")); infra != nil {
				profile = str(infra.body, "instanceProfileName")
			}
			out = append(out, authz{a, s.ib.roleARN(req.region, profile), map[string]string{"iam:PassedToService": "ec2.amazonaws.com"}})
			if role := str(b, "executionRole"); req.action == "CreateImage" && role != "" {
				out = append(out, authz{a, executionRoleARN(req.region, role), map[string]string{"iam:PassedToService": "imagebuilder.amazonaws.com"}})
			}
		}
	}
	if b["tags"] != nil && strings.HasPrefix(req.action, "Create") {
		out = append(out, authz{"imagebuilder:TagResource", own.resource, ctx})
	}
	// In an account that never used Image Builder, its first resource
	// creates the service-linked role, with the caller's permission (IAM
	// User Guide, "Service-linked role permissions").
	if s.ib.noServiceLinkedRole && strings.HasPrefix(req.action, "Create") {
		out = append(out, authz{"iam:CreateServiceLinkedRole",
			awsarn.ARN(req.region, "iam", "", Account, "role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"),
			map[string]string{"iam:AWSServiceName": "imagebuilder.amazonaws.com"}})
	}
	return out
}

// SetNewAccount makes the account one that never used Image Builder: it
// has no AWSServiceRoleForImageBuilder until a create makes it.
func (s *Server) SetNewAccount() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.noServiceLinkedRole = true
}

// roleARN is the role in an instance profile: the one it was given, else
// one of the profile's name (as the console makes them).
func (ib *imageBuilder) roleARN(region, profile string) string {
	role := ib.profileRoles[profile]
	if role == "" {
		role = profile
	}
	return awsarn.ARN(region, "iam", "", Account, "role/"+role)
}

// resourceLocked is the ARN a call is authorized on, or "*" for actions
// that take no resource.
func (s *Server) resourceLocked(req *request) string {
	b, q := req.body, req.http.URL.Query()
	ib := s.ib
	switch req.service + ":" + req.action {
	case "imagebuilder:CreateComponent":
		return ib.arn(req.region, "component", strings.ToLower(str(b, "name")), str(b, "semanticVersion"), "1")
	case "imagebuilder:CreateImageRecipe":
		return ib.arn(req.region, "image-recipe", strings.ToLower(str(b, "name")), str(b, "semanticVersion"))
	case "imagebuilder:CreateInfrastructureConfiguration":
		return ib.arn(req.region, "infrastructure-configuration", strings.ToLower(str(b, "name")))
	case "imagebuilder:CreateDistributionConfiguration":
		return ib.arn(req.region, "distribution-configuration", strings.ToLower(str(b, "name")))
	case "imagebuilder:CreateImage":
		return strings.Replace(str(b, "imageRecipeArn"), ":image-recipe/", ":image/", 1) + "/1"
	case "imagebuilder:UpdateInfrastructureConfiguration":
		return str(b, "infrastructureConfigurationArn")
	case "imagebuilder:UpdateDistributionConfiguration":
		return str(b, "distributionConfigurationArn")
	case "imagebuilder:GetComponent":
		return q.Get("componentBuildVersionArn")
	case "imagebuilder:GetImage":
		return q.Get("imageBuildVersionArn")
	case "imagebuilder:GetImageRecipe":
		return q.Get("imageRecipeArn")
	case "imagebuilder:GetInfrastructureConfiguration":
		return q.Get("infrastructureConfigurationArn")
	case "imagebuilder:GetDistributionConfiguration":
		return q.Get("distributionConfigurationArn")
	case "imagebuilder:TagResource":
		arn, _ := url.PathUnescape(strings.TrimPrefix(req.http.URL.EscapedPath(), "/tags/"))
		return arn
	case "ssm:GetParameter", "ssm:PutParameter":
		name, account := str(b, "Name"), Account
		if strings.HasPrefix(name, "/aws/service/") {
			account = "" // AWS's public parameters
		}
		return awsarn.ARN(req.region, "ssm", req.region, account, "parameter"+name)
	case "iam:GetInstanceProfile":
		return awsarn.ARN(req.region, "iam", "", Account, "instance-profile/"+req.form.Get("InstanceProfileName"))
	}
	return "*"
}

// ec2AuthzLocked lists what EC2 authorizes for a call on AMIs or
// snapshots: each resource the call names, with its tags
// (aws:ResourceTag) and the tags the call writes (aws:RequestTag). Other
// EC2 calls take "*" (Describe* support no resource-level permissions).
func (s *Server) ec2AuthzLocked(req *request, action string) []authz {
	var ids []string
	switch action {
	case "ec2:DeregisterImage", "ec2:DisableFastLaunch", "ec2:EnableFastLaunch":
		ids = []string{req.form.Get("ImageId")}
	case "ec2:DeleteSnapshot":
		ids = []string{req.form.Get("SnapshotId")}
	case "ec2:CreateTags", "ec2:DeleteTags":
		ids = indexed(req.form, "ResourceId")
	default:
		return []authz{{action, "*", nil}}
	}
	requested := map[string]string{}
	for i := 1; req.form.Has("Tag." + strconv.Itoa(i) + ".Key"); i++ {
		n := strconv.Itoa(i)
		requested["aws:RequestTag/"+req.form.Get("Tag."+n+".Key")] = req.form.Get("Tag." + n + ".Value")
	}
	var out []authz
	for _, id := range ids {
		ctx := map[string]string{}
		for k, v := range requested {
			ctx[k] = v
		}
		kind := "image"
		if strings.HasPrefix(id, "snap-") {
			kind = "snapshot"
		}
		if img := s.images[req.region][id]; img != nil {
			for k, v := range img.Tags {
				ctx["aws:ResourceTag/"+k] = v
			}
		}
		if sn := s.snapshots[req.region][id]; sn != nil {
			for k, v := range sn.Tags {
				ctx["aws:ResourceTag/"+k] = v
			}
		}
		// AMI and snapshot ARNs name no account (EC2's resource types in
		// the Service Authorization Reference).
		out = append(out, authz{action, awsarn.ARN(req.region, "ec2", req.region, "", kind+"/"+id), ctx})
	}
	return out
}
