package awsfake

import (
	"strconv"
	"strings"
	"time"
)

// Components are versioned NAME/X.Y.Z and built: a build version ARN ends
// in /X.Y.Z/N, N assigned by Image Builder (EC2 Image Builder User Guide,
// "Semantic versioning in Image Builder"; ListComponentBuildVersions in the
// API reference). Since AWS's November 2025 change a second create of an
// existing version makes build N+1 instead of failing; a recipe naming the
// version (no build) gets the newest build of it.

// SetImmutableComponentVersions restores the historical behaviour: a second
// create of a version fails with ResourceAlreadyExistsException.
func (s *Server) SetImmutableComponentVersions(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.immutableVersions = on
}

// ComponentBuild is one build of a component, as a build ran it.
type ComponentBuild struct {
	ARN  string
	Data string
}

// BuildComponents lists the component builds an image build ran, resolved
// when it started.
func (s *Server) BuildComponents(imageBuildARN string) []ComponentBuild {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []ComponentBuild
	for _, bl := range s.ib.builds {
		if bl.arn != imageBuildARN {
			continue
		}
		for _, arn := range bl.components {
			c := ComponentBuild{ARN: arn}
			if r := s.ib.find(s.ib.components, arn); r != nil {
				c.Data = str(r.body, "data")
			}
			out = append(out, c)
		}
	}
	return out
}

func buildNumber(arn string) int {
	n, _ := strconv.Atoi(arn[strings.LastIndex(arn, "/")+1:])
	return n
}

// newestBuild is the newest build of a component version ARN, or the build
// a build version ARN names; nil if there is none.
func (ib *imageBuilder) newestBuild(region, arn string) *ibResource {
	var newest *ibResource
	for _, c := range ib.components {
		if c.region != region {
			continue
		}
		if c.arn == arn {
			return c
		}
		if versionARN(c.arn) == arn && (newest == nil || buildNumber(c.arn) > buildNumber(newest.arn)) {
			newest = c
		}
	}
	return newest
}

// resolveComponents names the component builds a recipe's components are
// when a build starts.
func (ib *imageBuilder) resolveComponents(region string, recipe *ibResource) []string {
	var out []string
	comps, _ := recipe.body["components"].([]any)
	for _, c := range comps {
		arn := str(c.(map[string]any), "componentArn")
		if b := ib.newestBuild(region, arn); b != nil {
			arn = b.arn
		}
		out = append(out, arn)
	}
	return out
}

func componentSummary(c *ibResource, arn string) map[string]any {
	return map[string]any{"arn": arn, "name": c.name, "version": c.version, "description": c.body["description"],
		"tags": c.body["tags"], "owner": Account, "platform": "Windows", "type": "BUILD", "dateCreated": c.created.Format(time.RFC3339)}
}

func (ib *imageBuilder) component(req *request) (any, *apiError) {
	b := req.body
	switch req.action {
	case "CreateComponent":
		name, version := str(b, "name"), str(b, "semanticVersion")
		if !validSemver(version) {
			return nil, errorf(400, "InvalidParameterValueException", "The value supplied for parameter 'semanticVersion' is not valid: %s", version)
		}
		if len(str(b, "data")) > 16000 {
			return nil, errorf(400, "InvalidParameterValueException", "component data is over 16000 characters")
		}
		build := 1
		if last := ib.newestBuild(req.region, ib.arn(req.region, "component", strings.ToLower(name), version)); last != nil {
			if ib.immutableVersions {
				return nil, errorf(400, "ResourceAlreadyExistsException", "The following resource 'Component' already exists: %s/%s", name, version)
			}
			build = buildNumber(last.arn) + 1
		}
		c := &ibResource{region: req.region, arn: ib.arn(req.region, "component", strings.ToLower(name), version, strconv.Itoa(build)),
			name: name, version: version, created: ib.s.Clock.Now(), body: b}
		ib.components = append(ib.components, c)
		return map[string]any{"requestId": "fake", "clientToken": str(b, "clientToken"), "componentBuildVersionArn": c.arn}, nil
	case "ListComponents":
		// One entry per version, showing its newest build that lists show.
		name := filterValue(b, "name")
		var versions []string
		newest := map[string]*ibResource{}
		for _, c := range ib.components {
			if c.region != req.region || name != "" && c.name != name || !ib.visible(c.created) {
				continue
			}
			v := versionARN(c.arn)
			if newest[v] == nil {
				versions = append(versions, v)
			}
			if newest[v] == nil || buildNumber(c.arn) > buildNumber(newest[v].arn) {
				newest[v] = c
			}
		}
		var list []map[string]any
		for _, v := range versions {
			list = append(list, componentSummary(newest[v], v))
		}
		return map[string]any{"requestId": "fake", "componentVersionList": list}, nil
	case "ListComponentBuildVersions":
		version := str(b, "componentVersionArn")
		var list []map[string]any
		for _, c := range ib.components {
			if c.region == req.region && versionARN(c.arn) == version && ib.visible(c.created) {
				list = append(list, componentSummary(c, c.arn))
			}
		}
		return map[string]any{"requestId": "fake", "componentSummaryList": list}, nil
	default: // GetComponent
		arn := req.http.URL.Query().Get("componentBuildVersionArn")
		c := ib.newestBuild(req.region, arn)
		if c == nil {
			return nil, errorf(404, "ResourceNotFoundException", "Component %s does not exist", arn)
		}
		out := componentSummary(c, c.arn)
		out["data"] = c.body["data"]
		return map[string]any{"requestId": "fake", "component": out}, nil
	}
}
