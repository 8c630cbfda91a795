package awsfake

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/winbake/winbake/internal/awsarn"
)

// Build says how the next image build behaves.
type Build struct {
	// Timeline is how long each state lasts before the next; the build is
	// AVAILABLE after the last. Default: DefaultTimeline.
	Timeline []Phase
	// FailIn makes the build FAILED when it reaches this state.
	FailIn string
	Reason string
	// Never keeps the build in BUILDING forever.
	Never bool
	// SkipRegions get no AMI: a partial distribution, reported as FAILED.
	SkipRegions []string
}

// Phase is one state of a build and how long it lasts.
type Phase struct {
	State string
	For   time.Duration
}

// DefaultTimeline is a 55-minute Windows build: updates and image pulls in
// BUILDING, the component's test phase on a fresh instance in TESTING, AMI
// creation and copies in DISTRIBUTING.
var DefaultTimeline = []Phase{
	{"PENDING", time.Minute}, {"CREATING", 2 * time.Minute}, {"BUILDING", 25 * time.Minute},
	{"TESTING", 17 * time.Minute}, {"DISTRIBUTING", 10 * time.Minute},
}

// imageBuilder is the fake's EC2 Image Builder state, per region.
type imageBuilder struct {
	s          *Server
	components []*ibResource // build versions
	recipes    []*ibResource
	infras     map[string]*ibResource // region/name
	dists      map[string]*ibResource
	builds     []*ibBuild
	tokens     map[string]tokenUse
	next       Build
	// defaultTimeline replaces DefaultTimeline when set.
	defaultTimeline []Phase
	subnets         map[string]bool   // region/subnet-id
	profiles        map[string]bool   // instance profile names
	profileRoles    map[string]string // instance profile name → role path and name
	// fastLaunchNeedsTemplate: regions where Fast Launch fails without a
	// launch template, and why.
	fastLaunchNeedsTemplate map[string]string
	// listDelay hides new resources from List* answers this long, as
	// Image Builder's eventually consistent lists do.
	listDelay time.Duration
	// immutableVersions refuses a second create of a component version.
	immutableVersions bool
	// noServiceLinkedRole: the account has no AWSServiceRoleForImageBuilder yet.
	noServiceLinkedRole bool
}

type ibResource struct {
	region, arn, name, version string
	created, updated           time.Time
	body                       map[string]any
}

type ibBuild struct {
	ibResource
	started  time.Time
	behavior Build
	amis     []map[string]any
	done     bool
	// components are the component builds the build runs.
	components []string
	// fastLaunchFailed says where Fast Launch failed, and why.
	fastLaunchFailed []string
	// ssmFailed says which SSM output parameters were not written, and why.
	ssmFailed []string
}

type tokenUse struct {
	hash string
	out  any
}

func newImageBuilder(s *Server) *imageBuilder {
	return &imageBuilder{s: s, infras: map[string]*ibResource{}, dists: map[string]*ibResource{},
		tokens: map[string]tokenUse{}, subnets: map[string]bool{}, profiles: map[string]bool{}, profileRoles: map[string]string{},
		fastLaunchNeedsTemplate: map[string]string{}}
}

// SetNextBuild sets how the next CreateImage build behaves.
func (s *Server) SetNextBuild(b Build) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.next = b
}

// SetListDelay makes List* answers lag behind creates by d.
func (s *Server) SetListDelay(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.listDelay = d
}

// AddSubnet makes a subnet exist in a region.
func (s *Server) AddSubnet(region, id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.subnets[region+"/"+id] = true
}

// AddInstanceProfile makes an IAM instance profile exist.
func (s *Server) AddInstanceProfile(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.profiles[name] = true
}

// AddInstanceProfileWithRole makes an instance profile holding a role
// (role is its path and name, such as "build/WinbakeBuild").
func (s *Server) AddInstanceProfileWithRole(name, role string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.profiles[name] = true
	s.ib.profileRoles[name] = role
}

// Counts of Image Builder resources, for idempotency tests.
type Counts struct {
	Components, Recipes, Infrastructure, Distribution, Builds int
}

// ImageBuilderCounts counts what exists.
func (s *Server) ImageBuilderCounts() Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Counts{len(s.ib.components), len(s.ib.recipes), len(s.ib.infras), len(s.ib.dists), len(s.ib.builds)}
}

// ComponentVersions lists the versions of a component, in creation order.
func (s *Server) ComponentVersions(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, c := range s.ib.components {
		if c.name == name {
			out = append(out, c.version)
		}
	}
	return out
}

// impliedActions are the IAM actions an operation needs besides its own:
// the dependent actions of the Service Authorization Reference for Image
// Builder (CreateImageRecipe reads its components, the infrastructure
// configuration passes the instance profile's role), and what a build
// reads and passes when it starts.
var impliedActions = map[string][]string{
	"CreateImageRecipe":                 {"imagebuilder:GetComponent"},
	"CreateInfrastructureConfiguration": {"iam:PassRole"},
	"UpdateInfrastructureConfiguration": {"iam:PassRole"},
	"CreateImage":                       {"imagebuilder:GetImageRecipe", "imagebuilder:GetInfrastructureConfiguration", "imagebuilder:GetDistributionConfiguration", "iam:PassRole"},
}

// route names the operation of a REST-JSON request.
func (ib *imageBuilder) route(req *request) (string, *apiError) {
	p := strings.TrimPrefix(req.http.URL.Path, "/")
	if strings.HasPrefix(p, "tags/") {
		if req.http.Method == "POST" {
			return "TagResource", nil
		}
		return "ListTagsForResource", nil
	}
	if strings.Contains(p, "/") || p == "" {
		return "", errorf(404, "InvalidRequestException", "no operation at %s", req.http.URL.Path)
	}
	return p, nil
}

func (ib *imageBuilder) handle(req *request) (any, *apiError) {
	s := ib.s
	s.mu.Lock()
	defer s.mu.Unlock()
	// Idempotency: a token replays its first answer, or is refused when
	// the parameters differ.
	if tok := str(req.body, "clientToken"); tok != "" {
		key := req.region + "/" + req.action + "/" + tok
		params := map[string]any{}
		for k, v := range req.body {
			if k != "clientToken" {
				params[k] = v
			}
		}
		h := hashJSON(params)
		if used, ok := ib.tokens[key]; ok {
			if used.hash != h {
				return nil, errorf(400, "IdempotentParameterMismatchException", "The client token %s was used with different parameters.", tok)
			}
			return used.out, nil
		}
		out, err := ib.do(req)
		if err == nil {
			ib.tokens[key] = tokenUse{h, out}
			ib.created(req)
		}
		return out, err
	}
	out, err := ib.do(req)
	if err == nil {
		ib.created(req)
	}
	return out, err
}

func hashJSON(v any) string {
	b, _ := json.Marshal(v)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func (ib *imageBuilder) arn(region, kind, name string, rest ...string) string {
	return strings.Join(append([]string{awsarn.ARN(region, "imagebuilder", region, Account, kind+"/"+name)}, rest...), "/")
}

func (ib *imageBuilder) do(req *request) (any, *apiError) {
	now := ib.s.Clock.Now()
	q := req.http.URL.Query()
	b := req.body
	switch req.action {
	case "CreateComponent", "ListComponents", "ListComponentBuildVersions", "GetComponent":
		return ib.component(req)
	case "CreateImageRecipe":
		name, version := str(b, "name"), str(b, "semanticVersion")
		if !validSemver(version) {
			return nil, errorf(400, "InvalidParameterValueException", "The value supplied for parameter 'semanticVersion' is not valid: %s", version)
		}
		for _, r := range ib.recipes {
			if r.region == req.region && r.name == name && r.version == version {
				return nil, errorf(400, "ResourceAlreadyExistsException", "The following resource 'ImageRecipe' already exists: %s/%s", name, version)
			}
		}
		comps, _ := b["components"].([]any)
		for _, c := range comps {
			arn := str(c.(map[string]any), "componentArn")
			if !ib.componentExists(req.region, arn) {
				return nil, errorf(400, "InvalidParameterValueException", "The component %s does not exist", arn)
			}
		}
		r := &ibResource{region: req.region, arn: ib.arn(req.region, "image-recipe", strings.ToLower(name), version), name: name, version: version, created: now, body: b}
		ib.recipes = append(ib.recipes, r)
		return map[string]any{"requestId": "fake", "clientToken": str(b, "clientToken"), "imageRecipeArn": r.arn}, nil
	case "ListImageRecipes":
		name := filterValue(b, "name")
		var list []map[string]any
		for _, r := range ib.recipes {
			if r.region == req.region && (name == "" || r.name == name) && ib.visible(r.created) {
				list = append(list, map[string]any{"arn": r.arn, "name": r.name, "owner": Account, "platform": "Windows",
					"parentImage": r.body["parentImage"], "tags": r.body["tags"], "dateCreated": r.created.Format(time.RFC3339)})
			}
		}
		return map[string]any{"requestId": "fake", "imageRecipeSummaryList": list}, nil
	case "CreateInfrastructureConfiguration", "CreateDistributionConfiguration":
		store, kind, field := ib.infras, "infrastructure-configuration", "infrastructureConfigurationArn"
		if req.action == "CreateDistributionConfiguration" {
			store, kind, field = ib.dists, "distribution-configuration", "distributionConfigurationArn"
		}
		if kind == "infrastructure-configuration" && !ib.profiles[str(b, "instanceProfileName")] {
			return nil, errorf(400, "InvalidParameterValueException", "The instance profile %s does not exist", str(b, "instanceProfileName"))
		}
		name := str(b, "name")
		if _, ok := store[req.region+"/"+name]; ok {
			return nil, errorf(400, "ResourceAlreadyExistsException", "The following resource already exists: %s", name)
		}
		r := &ibResource{region: req.region, arn: ib.arn(req.region, kind, strings.ToLower(name)), name: name, created: now, updated: now, body: b}
		store[req.region+"/"+name] = r
		return map[string]any{"requestId": "fake", "clientToken": str(b, "clientToken"), field: r.arn}, nil
	case "UpdateInfrastructureConfiguration", "UpdateDistributionConfiguration":
		store, field := ib.infras, "infrastructureConfigurationArn"
		if req.action == "UpdateDistributionConfiguration" {
			store, field = ib.dists, "distributionConfigurationArn"
		}
		for _, r := range store {
			if r.arn == str(b, field) {
				if field == "infrastructureConfigurationArn" && !ib.profiles[str(b, "instanceProfileName")] {
					return nil, errorf(400, "InvalidParameterValueException", "The instance profile %s does not exist", str(b, "instanceProfileName"))
				}
				body := map[string]any{}
				for k, v := range b {
					body[k] = v
				}
				body["name"], body["tags"] = r.name, r.body["tags"]
				r.body, r.updated = body, now
				return map[string]any{"requestId": "fake", "clientToken": str(b, "clientToken"), field: r.arn}, nil
			}
		}
		return nil, errorf(404, "ResourceNotFoundException", "%s does not exist", str(b, field))
	case "ListInfrastructureConfigurations", "ListDistributionConfigurations":
		store, list := ib.infras, "infrastructureConfigurationSummaryList"
		if req.action == "ListDistributionConfigurations" {
			store, list = ib.dists, "distributionConfigurationSummaryList"
		}
		name := filterValue(b, "name")
		var out []map[string]any
		for _, r := range sortedResources(store) {
			if r.region == req.region && (name == "" || r.name == name) && ib.visible(r.created) {
				out = append(out, map[string]any{"arn": r.arn, "name": r.name, "description": r.body["description"], "tags": r.body["tags"],
					"dateCreated": r.created.Format(time.RFC3339), "dateUpdated": r.updated.Format(time.RFC3339)})
			}
		}
		return map[string]any{"requestId": "fake", list: out}, nil
	case "GetInfrastructureConfiguration", "GetDistributionConfiguration":
		store, param, field := ib.infras, "infrastructureConfigurationArn", "infrastructureConfiguration"
		if req.action == "GetDistributionConfiguration" {
			store, param, field = ib.dists, "distributionConfigurationArn", "distributionConfiguration"
		}
		for _, r := range store {
			if r.arn == q.Get(param) {
				body := map[string]any{"arn": r.arn}
				for k, v := range r.body {
					if k != "clientToken" {
						body[k] = v
					}
				}
				return map[string]any{"requestId": "fake", field: body}, nil
			}
		}
		return nil, errorf(404, "ResourceNotFoundException", "%s does not exist", q.Get(param))
	case "CreateImage":
		recipe := ib.find(ib.recipes, str(b, "imageRecipeArn"))
		if recipe == nil {
			return nil, errorf(404, "ResourceNotFoundException", "The image recipe %s does not exist", str(b, "imageRecipeArn"))
		}
		infra, dist := ib.findIn(ib.infras, str(b, "infrastructureConfigurationArn")), ib.findIn(ib.dists, str(b, "distributionConfigurationArn"))
		if infra == nil || dist == nil {
			return nil, errorf(404, "ResourceNotFoundException", "the infrastructure or distribution configuration does not exist")
		}
		n := 1
		for _, bl := range ib.builds {
			if strings.HasPrefix(bl.arn, ib.arn(req.region, "image", strings.ToLower(recipe.name), recipe.version)+"/") {
				n++
			}
		}
		bl := &ibBuild{ibResource: ibResource{region: req.region, arn: ib.arn(req.region, "image", strings.ToLower(recipe.name), recipe.version, strconv.Itoa(n)),
			name: recipe.name, version: recipe.version, created: now, body: b}, started: now, behavior: ib.next}
		ib.next = Build{}
		bl.components = ib.resolveComponents(req.region, recipe)
		if bl.behavior.Timeline == nil {
			bl.behavior.Timeline = DefaultTimeline
			if ib.defaultTimeline != nil {
				bl.behavior.Timeline = ib.defaultTimeline
			}
		}
		ib.builds = append(ib.builds, bl)
		return map[string]any{"requestId": "fake", "clientToken": str(b, "clientToken"), "imageBuildVersionArn": bl.arn}, nil
	case "GetImage":
		for _, bl := range ib.builds {
			if bl.arn == q.Get("imageBuildVersionArn") {
				return map[string]any{"requestId": "fake", "image": ib.imageView(bl)}, nil
			}
		}
		return nil, errorf(404, "ResourceNotFoundException", "Image %s does not exist", q.Get("imageBuildVersionArn"))
	case "ListImageBuildVersions":
		prefix := str(b, "imageVersionArn") + "/"
		var list []map[string]any
		for _, bl := range ib.builds {
			if strings.HasPrefix(bl.arn, prefix) && ib.visible(bl.created) {
				list = append(list, ib.imageView(bl))
			}
		}
		return map[string]any{"requestId": "fake", "imageSummaryList": list}, nil
	case "TagResource":
		return map[string]any{}, nil
	}
	return nil, errorf(400, "InvalidRequestException", "the fake does not implement Image Builder %s", req.action)
}

// imageView is an image as GetImage and ListImageBuildVersions show it,
// its state computed from the simulated clock.

// created notes what a successful create leaves behind besides its resource.
func (ib *imageBuilder) created(req *request) {
	if strings.HasPrefix(req.action, "Create") {
		ib.noServiceLinkedRole = false
	}
}
