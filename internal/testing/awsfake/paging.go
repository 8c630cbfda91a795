package awsfake

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Paging of the EC2 Describe actions, after the EC2 API Reference
// (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/Query-Requests.html#api-pagination
// and each action's MaxResults/NextToken parameters, as the EC2 service
// model in botocore, data/ec2/2016-11-15/service-2.json, states them):
// a page holds at most MaxResults items; while more remain the response
// carries <nextToken>, which the next request passes back as NextToken
// with the same other parameters; the last page has no token.

// pageRule is one action's MaxResults rule.
type pageRule struct {
	action   string
	min, max int
	// clamp: a MaxResults above max gives max items instead of an error.
	clamp bool
	// unpaged: without MaxResults every match comes in one response.
	unpaged bool
	// notWith names the parameter MaxResults cannot be combined with.
	notWith string
}

var (
	// DescribeImages: "We strongly recommend using only paginated
	// requests"; the reference gives no range, so the fake takes 1 up to
	// the 1000 the EC2 Developer Guide's pagination example asks for
	// (ec2/latest/devguide/ec2-api-pagination.html).
	imagesPaging = pageRule{action: "DescribeImages", min: 1, max: 1000, unpaged: true}
	// DescribeSnapshots: "between 5 and 1,000; if this value is larger
	// than 1,000, only 1,000 results are returned. If this parameter is not
	// used, then the request returns all snapshots. You cannot specify this
	// parameter and the snapshot IDs parameter in the same request."
	snapshotsPaging = pageRule{action: "DescribeSnapshots", min: 5, max: 1000, clamp: true, unpaged: true, notWith: "SnapshotId"}
	// DescribeInstances: "between 5 and 1000. You cannot specify this
	// parameter and the instance IDs parameter in the same call."
	instancesPaging = pageRule{action: "DescribeInstances", min: 5, max: 1000, unpaged: true, notWith: "InstanceId"}
	// DescribeLaunchTemplateVersions: "This value can be between 1 and 200."
	launchTemplateVersionsPaging = pageRule{action: "DescribeLaunchTemplateVersions", min: 1, max: 200}
	// DescribeFastLaunchImages: MaxResults min 0, max 200 in the model.
	fastLaunchImagesPaging = pageRule{action: "DescribeFastLaunchImages", min: 0, max: 200}
)

// pageLocked returns the slice [from, to) of n matches this request gets
// and the token of the next page ("" on the last). PageSize, when set,
// makes pages smaller than MaxResults, as EC2 may, and pages the actions
// that have no documented "all results" default even without MaxResults;
// it never gives more than MaxResults.
func (s *Server) pageLocked(req *request, r pageRule, n int) (from, to int, next string, e *apiError) {
	size := n
	raw, given := req.form["MaxResults"]
	if given {
		if r.notWith != "" && len(indexed(req.form, r.notWith)) > 0 {
			return 0, 0, "", errorf(400, "InvalidParameterCombination", "The parameter %s cannot be used with the parameter MaxResults", r.notWith)
		}
		v, err := strconv.Atoi(raw[0])
		switch {
		case err != nil || v < r.min || v > r.max && !r.clamp:
			return 0, 0, "", errorf(400, "InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Expecting a value between %d and %d.", raw[0], r.min, r.max)
		case v > r.max:
			v = r.max
		}
		if v > 0 { // 0, which the fast launch model allows, means the default
			size = v
		}
	}
	if s.PageSize > 0 && (given || !r.unpaged) {
		size = min(size, s.PageSize)
	}
	if tok := req.form.Get("NextToken"); tok != "" {
		var ok bool
		if from, ok = decodeToken(tok, r.action, req.region); !ok || from > n {
			// The EC2 error codes list: "InvalidPaginationToken: The
			// specified pagination token is not valid or is expired."
			return 0, 0, "", errorf(400, "InvalidPaginationToken", "The specified pagination token is not valid or is expired.")
		}
	}
	to = min(n, from+max(size, 1))
	if to < n {
		next = base64.RawURLEncoding.EncodeToString(fmt.Appendf(nil, "%s|%s|%d", r.action, req.region, to))
	}
	return from, to, next, nil
}

// decodeToken reads a token pageLocked made for the same action and
// region; a token of another call is not valid.
func decodeToken(tok, action, region string) (int, bool) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(b), "|")
	if len(parts) != 3 || parts[0] != action || parts[1] != region {
		return 0, false
	}
	off, err := strconv.Atoi(parts[2])
	return off, err == nil && off >= 0
}
