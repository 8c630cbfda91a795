// Package awsfake is an in-process fake of the AWS APIs winbake calls (SSM,
// EC2, ECR, STS and EC2 Image Builder), speaking each service's wire
// protocol so tests reach it through the real aws-sdk-go-v2 clients by
// endpoint override (AWS_ENDPOINT_URL). It keeps real state, checks every
// call against an IAM policy, and injects faults on demand.
package awsfake

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Account is the AWS account of the fake's caller.
const Account = "123456789012"

// Call is one API call the fake answered (or refused).
type Call struct {
	Action string // IAM action, such as "ssm:GetParameter"
	Region string
	// Target is the resource an EC2 call names first (ImageId,
	// SnapshotId, ResourceId.1), to check the order of calls on one
	// resource.
	Target string
	// DryRun marks an EC2 call made with DryRun=true, which changes nothing.
	DryRun bool
}

// Fault makes matching calls fail.
type Fault struct {
	// For makes the fault a burst: it fails matching calls for this long
	// on the simulated clock from when it is added (0: no time limit).
	For   time.Duration
	until time.Time

	Action  string // IAM action, or "*"
	Status  int
	Code    string
	Message string
	Times   int // how many calls fail; 0 means all
	// After lets this many matching calls through first, to fail a run
	// midway.
	After  int
	used   int
	passed int
}

// Server is the fake. Its exported methods seed and inspect state.
type Server struct {
	mu     sync.Mutex
	calls  []Call
	faults []*Fault
	// policy lists the allowed IAM actions; nil allows everything.
	policy map[string]bool
	// statements, when set, is a whole policy to enforce (AllowPolicy).
	statements []statement

	params map[string]map[string]string // region → SSM name → value
	images map[string]map[string]*Image // region → AMI ID → image
	nextID int

	snapshots       map[string]map[string]*Snapshot   // region → ID → snapshot
	deregistered    map[string]bool                   // "region/AMI ID"
	launchTemplates map[string][]*LaunchTemplate      // region → templates
	instances       map[string][]*Instance            // region → instances
	fastLaunch      map[string]map[string]*fastLaunch // region → AMI ID → state
	afterCall       func(Call)

	// ECRPassword is what GetAuthorizationToken hands out, as user AWS.
	ECRPassword string

	Clock *Clock
	ib    *imageBuilder
	// PageSize caps EC2 Describe pages below MaxResults (paging.go).
	PageSize int

	httpServer *httptest.Server
}

// New starts a fake on a loopback port. Stop it with Close.
func New() *Server {
	s := &Server{
		params:          map[string]map[string]string{},
		images:          map[string]map[string]*Image{},
		snapshots:       map[string]map[string]*Snapshot{},
		deregistered:    map[string]bool{},
		launchTemplates: map[string][]*LaunchTemplate{},
		instances:       map[string][]*Instance{},
		fastLaunch:      map[string]map[string]*fastLaunch{},
		ECRPassword:     "ecr-password-from-the-fake",
		Clock:           NewClock(),
	}
	s.ib = newImageBuilder(s)
	s.httpServer = httptest.NewServer(s)
	return s
}

// URL is the endpoint to give the SDK (AWS_ENDPOINT_URL).
func (s *Server) URL() string { return s.httpServer.URL }

// Close stops the server.
func (s *Server) Close() { s.httpServer.Close() }

// AllowOnly restricts the caller to these IAM actions; others are denied
// the way each service denies them.
func (s *Server) AllowOnly(actions []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.policy, s.statements = map[string]bool{}, nil
	for _, a := range actions {
		s.policy[a] = true
	}
}

// AddFault makes calls fail as f says.
func (s *Server) AddFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.For > 0 {
		f.until = s.Clock.Now().Add(f.For)
	}
	s.faults = append(s.faults, &f)
}

// AfterCall makes the fake call f after answering each call (nil stops
// it): a test stops a run at a chosen point with it, as a killed process
// would stop.
func (s *Server) AfterCall(f func(Call)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.afterCall = f
}

// Calls returns the calls so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// CountCalls counts calls of one IAM action ("" counts all).
func (s *Server) CountCalls(action string) int {
	n := 0
	for _, c := range s.Calls() {
		if action == "" || c.Action == action {
			n++
		}
	}
	return n
}

// ResetCalls forgets the calls so far.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
}

// SetParameter stores an SSM parameter in a region.
func (s *Server) SetParameter(region, name, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.params[region] == nil {
		s.params[region] = map[string]string{}
	}
	s.params[region][name] = value
}

// Parameter reads an SSM parameter.
func (s *Server) Parameter(region, name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.params[region][name]
	return v, ok
}

// apiError is an error answer in the service's own shape.
type apiError struct {
	status        int
	code, message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status, code, fmt.Sprintf(format, args...)}
}

type protocol int

const (
	awsJSON protocol = iota
	query
	ec2Query
	restJSON
)

// request is one decoded call.
type request struct {
	proto   protocol
	service string
	region  string
	action  string // operation name
	form    url.Values
	body    map[string]any
	raw     []byte
	http    *http.Request
}

var scopeRE = regexp.MustCompile(`Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	raw, _ := io.ReadAll(r.Body)
	req := &request{raw: raw, http: r, region: "us-east-1"}
	if m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		req.region, req.service = m[1], m[2]
	}
	switch target := r.Header.Get("X-Amz-Target"); {
	case target != "":
		req.proto = awsJSON
		svc, op, _ := strings.Cut(target, ".")
		req.action = op
		switch svc {
		case "AmazonSSM":
			req.service = "ssm"
		case "AmazonEC2ContainerRegistry_V20150921":
			req.service = "ecr"
		}
		_ = json.Unmarshal(raw, &req.body)
	case strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		req.form, _ = url.ParseQuery(string(raw))
		req.action = req.form.Get("Action")
		req.proto = query
		if req.service == "ec2" {
			req.proto = ec2Query
		}
	default:
		req.proto = restJSON
		req.service = "imagebuilder"
		if len(raw) > 0 {
			_ = json.Unmarshal(raw, &req.body)
		}
	}

	var out any
	var err *apiError
	if req.service == "imagebuilder" {
		req.action, err = s.ib.route(req)
	}
	iamAction := req.service + ":" + req.action
	s.mu.Lock()
	call := Call{Action: iamAction, Region: req.region}
	if req.proto == ec2Query {
		call.DryRun = req.form.Get("DryRun") == "true"
		for _, k := range []string{"ImageId", "SnapshotId", "ResourceId.1"} {
			if v := req.form.Get(k); v != "" && call.Target == "" {
				call.Target = v
			}
		}
	}
	s.calls = append(s.calls, call)
	after := s.afterCall
	if err == nil {
		err = s.checkLocked(req, iamAction)
	}
	s.mu.Unlock()
	if err == nil && req.service != "imagebuilder" {
		out, err = s.dispatch(req)
	} else if err == nil {
		out, err = s.ib.handle(req)
	}
	if err != nil {
		writeError(w, req, err)
	} else {
		writeResult(w, req, out)
	}
	if after != nil {
		after(call)
	}
}

// checkLocked applies the policy and injected faults.
func (s *Server) checkLocked(req *request, action string) *apiError {
	s.endBurstsLocked()
	for _, f := range s.faults {
		if (f.Action == action || f.Action == "*") && (f.Times == 0 || f.used < f.Times) {
			if f.passed < f.After {
				f.passed++
				continue
			}
			f.used++
			return &apiError{f.Status, f.Code, f.Message}
		}
	}
	for _, a := range s.authzOf(req, action) {
		if !s.permitsLocked(a) {
			return deny(req.service, a.action, a.resource)
		}
	}
	return nil
}

// deny answers a call the policy does not allow as the service does,
// naming the refused action, which may not be the operation called (IAM
// User Guide, "Troubleshoot access denied error messages"): Image Builder
// 403 AccessDeniedException, SSM 400 AccessDeniedException, EC2 403
// UnauthorizedOperation with an encoded message, IAM 403 AccessDenied.
func deny(service, action, resource string) *apiError {
	on := ""
	if resource != "" && resource != "*" {
		on = " on resource: " + resource
	}
	msg := fmt.Sprintf("User: arn:aws:sts::%s:assumed-role/winbake/ci is not authorized to perform: %s%s because no identity-based policy allows the %s action", Account, action, on, action)
	switch service {
	case "ec2":
		return errorf(403, "UnauthorizedOperation", "You are not authorized to perform this operation. %s. Encoded authorization failure message: fake-encoded-message", msg)
	case "imagebuilder":
		return errorf(403, "AccessDeniedException", "%s", msg)
	case "iam", "sts":
		return errorf(403, "AccessDenied", "%s", msg)
	default:
		return errorf(400, "AccessDeniedException", "%s", msg)
	}
}

// endBurstsLocked spends the faults whose burst is over.
func (s *Server) endBurstsLocked() {
	now := s.Clock.Now()
	for _, f := range s.faults {
		if f.For > 0 && !now.Before(f.until) {
			f.used = max(f.used, 1)
			f.Times = f.used
		}
	}
}

func (s *Server) dispatch(req *request) (any, *apiError) {
	// A permitted DryRun call changes nothing and answers DryRunOperation
	// (every action's DryRun parameter in the EC2 API reference;
	// errors-overview: "the request would have succeeded, but the DryRun
	// parameter was used") with "412 Precondition Failed", the status a
	// real EC2 response shows (recorded in getmoto/moto issue 1980). A
	// denied one was answered above.
	if req.proto == ec2Query && req.form.Get("DryRun") == "true" {
		return nil, errorf(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
	}
	switch req.service + ":" + req.action {
	case "ssm:GetParameter":
		return s.getParameter(req)
	case "ssm:PutParameter":
		return s.putParameter(req)
	case "ec2:DescribeImages":
		return s.describeImages(req)
	case "ec2:DeregisterImage":
		return s.deregisterImage(req)
	case "ec2:DescribeSnapshots":
		return s.describeSnapshots(req)
	case "ec2:DeleteSnapshot":
		return s.deleteSnapshot(req)
	case "ec2:CreateTags":
		return s.createTags(req)
	case "ec2:DescribeTags":
		return s.describeTags(req)
	case "ec2:DescribeLaunchTemplateVersions":
		return s.describeLaunchTemplateVersions(req)
	case "ec2:DescribeInstances":
		return s.describeInstances(req)
	case "ec2:DescribeFastLaunchImages":
		return s.describeFastLaunchImages(req)
	case "ec2:DisableFastLaunch":
		return s.disableFastLaunch(req)
	case "ec2:DescribeSubnets":
		return s.describeSubnets(req)
	case "ecr:GetAuthorizationToken":
		return s.getAuthorizationToken(req)
	case "iam:GetInstanceProfile":
		return s.getInstanceProfile(req)
	case "sts:GetCallerIdentity":
		return getCallerIdentityResponse{
			XMLNS:  "https://sts.amazonaws.com/doc/2011-06-15/",
			Result: callerIdentity{Arn: "arn:aws:sts::" + Account + ":assumed-role/winbake/ci", UserID: "AROAFAKE:ci", Account: Account},
		}, nil
	}
	return nil, errorf(400, "InvalidAction", "the fake does not implement %s:%s", req.service, req.action)
}

type getCallerIdentityResponse struct {
	XMLName xml.Name       `xml:"GetCallerIdentityResponse"`
	XMLNS   string         `xml:"xmlns,attr"`
	Result  callerIdentity `xml:"GetCallerIdentityResult"`
}

type callerIdentity struct {
	Arn     string `xml:"Arn"`
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
}

func writeResult(w http.ResponseWriter, req *request, out any) {
	switch req.proto {
	case awsJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_ = json.NewEncoder(w).Encode(out)
	case restJSON:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	default:
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, xml.Header)
		_ = xml.NewEncoder(w).Encode(out)
	}
}

func writeError(w http.ResponseWriter, req *request, e *apiError) {
	switch req.proto {
	case awsJSON:
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": e.code, "message": e.message})
	case restJSON:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", e.code)
		w.WriteHeader(e.status)
		_ = json.NewEncoder(w).Encode(map[string]string{"message": e.message})
	case ec2Query:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.status)
		fmt.Fprintf(w, "<Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>fake</RequestID></Response>", e.code, xmlEscape(e.message))
	default:
		w.Header().Set("Content-Type", "text/xml")
		w.WriteHeader(e.status)
		fmt.Fprintf(w, "<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>fake</RequestId></ErrorResponse>", e.code, xmlEscape(e.message))
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func str(m map[string]any, key string) string {
	v, _ := m[key].(string)
	return v
}
