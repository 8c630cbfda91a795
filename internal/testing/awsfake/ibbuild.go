package awsfake

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// imageView is a build as GetImage answers it. A build runs on the fake
// clock through its timeline, then distributes its AMI to each region of
// its distribution configuration.
func (ib *imageBuilder) imageView(bl *ibBuild) map[string]any {
	state, reason := ib.stateOf(bl)
	v := map[string]any{
		"arn": bl.arn, "name": bl.name, "version": bl.version + "/" + bl.arn[strings.LastIndex(bl.arn, "/")+1:],
		"platform": "Windows", "type": "AMI", "owner": Account, "tags": bl.body["tags"],
		"dateCreated": bl.created.Format(time.RFC3339),
		"state":       map[string]any{"status": state, "reason": reason},
	}
	if bl.amis != nil {
		v["outputResources"] = map[string]any{"amis": bl.amis}
	}
	return v
}

func (ib *imageBuilder) stateOf(bl *ibBuild) (string, string) {
	elapsed := ib.s.Clock.Now().Sub(bl.started)
	b := bl.behavior
	for _, p := range b.Timeline {
		if b.FailIn == p.State && elapsed >= 0 {
			return "FAILED", b.Reason
		}
		if b.Never && p.State == "BUILDING" {
			return "BUILDING", ""
		}
		if elapsed < p.For {
			return p.State, ""
		}
		elapsed -= p.For
	}
	ib.distribute(bl)
	if len(b.SkipRegions) > 0 {
		return "FAILED", "Distribution failed for region(s) " + strings.Join(b.SkipRegions, ", ") + ": AMI copy failed"
	}
	if len(bl.fastLaunchFailed) > 0 {
		return "FAILED", "Distribution failed: " + strings.Join(bl.fastLaunchFailed, "; ")
	}
	if len(bl.ssmFailed) > 0 {
		return "FAILED", "Distribution failed: " + strings.Join(bl.ssmFailed, "; ")
	}
	return "AVAILABLE", ""
}

// distribute creates the output AMIs once, in every region of the
// distribution configuration, tagged as it says.
func (ib *imageBuilder) distribute(bl *ibBuild) {
	if bl.done {
		return
	}
	bl.done = true
	bl.amis = []map[string]any{}
	dist := ib.findIn(ib.dists, str(bl.body, "distributionConfigurationArn"))
	dists, _ := dist.body["distributions"].([]any)
	for _, d := range dists {
		dm := d.(map[string]any)
		region := str(dm, "region")
		if slices.Contains(bl.behavior.SkipRegions, region) {
			continue
		}
		if why := ib.fastLaunchNeedsTemplate[region]; why != "" && fastLaunchWithoutTemplate(dm) {
			bl.fastLaunchFailed = append(bl.fastLaunchFailed, "EC2 Fast Launch in "+region+": "+why)
		}
		ami, _ := dm["amiDistributionConfiguration"].(map[string]any)
		name := strings.ReplaceAll(str(ami, "name"), "{{imagebuilder:buildDate}}", ib.s.Clock.Now().Format("2006-01-02T15-04-05Z"))
		tags := map[string]string{}
		if t, ok := ami["amiTags"].(map[string]any); ok {
			for k, v := range t {
				tags[k] = fmt.Sprint(v)
			}
		}
		id := ib.s.addImageLocked(region, Image{Name: name, Tags: tags})
		bl.amis = append(bl.amis, map[string]any{"region": region, "image": id, "name": name, "accountId": Account})
		if ssms, ok := dm["ssmParameterConfigurations"].([]any); ok {
			for _, p := range ssms {
				pname := str(p.(map[string]any), "parameterName")
				if why := ib.ssmOutputRefused(bl, region, pname); why != "" {
					bl.ssmFailed = append(bl.ssmFailed, why)
					continue
				}
				if ib.s.params[region] == nil {
					ib.s.params[region] = map[string]string{}
				}
				ib.s.params[region][pname] = id
			}
		}
	}
}

func (ib *imageBuilder) visible(created time.Time) bool {
	return ib.s.Clock.Now().Sub(created) >= ib.listDelay
}

func (ib *imageBuilder) componentExists(region, arn string) bool {
	if strings.Contains(arn, ":aws:component/") {
		return true // Amazon-managed, such as update-windows
	}
	for _, c := range ib.components {
		if c.region == region && (c.arn == arn || versionARN(c.arn) == arn) {
			return true
		}
	}
	return false
}

func (ib *imageBuilder) find(list []*ibResource, arn string) *ibResource {
	for _, r := range list {
		if r.arn == arn {
			return r
		}
	}
	return nil
}

func (ib *imageBuilder) findIn(store map[string]*ibResource, arn string) *ibResource {
	for _, r := range store {
		if r.arn == arn {
			return r
		}
	}
	return nil
}

func sortedResources(store map[string]*ibResource) []*ibResource {
	var out []*ibResource
	for _, r := range store {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].arn < out[j].arn })
	return out
}

// versionARN drops the build number of a build version ARN.
func versionARN(arn string) string { return arn[:strings.LastIndex(arn, "/")] }

func filterValue(body map[string]any, name string) string {
	filters, _ := body["filters"].([]any)
	for _, f := range filters {
		fm, _ := f.(map[string]any)
		if str(fm, "name") == name {
			if vals, ok := fm["values"].([]any); ok && len(vals) > 0 {
				v, _ := vals[0].(string)
				return v
			}
		}
	}
	return ""
}

func validSemver(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil {
			return false
		}
	}
	return true
}

// BuildTimes says when a build started and when it became (or will
// become) AVAILABLE, by its timeline.
func (s *Server) BuildTimes(arn string) (started, available time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, bl := range s.ib.builds {
		if bl.arn == arn {
			end := bl.started
			for _, p := range bl.behavior.Timeline {
				end = end.Add(p.For)
			}
			return bl.started, end, true
		}
	}
	return time.Time{}, time.Time{}, false
}

// fastLaunchWithoutTemplate reports a distribution that enables Fast
// Launch with no launch template.
func fastLaunchWithoutTemplate(d map[string]any) bool {
	fls, _ := d["fastLaunchConfigurations"].([]any)
	for _, f := range fls {
		fm, _ := f.(map[string]any)
		if on, _ := fm["enabled"].(bool); on && fm["launchTemplate"] == nil {
			return true
		}
	}
	return false
}

// SetFastLaunchNeedsTemplate makes Fast Launch without a launch template
// fail in a region, for a reason such as "no default VPC" or "the account
// enforces IMDSv2": EC2 launches the pre-provisioning instances in the
// default VPC with default metadata options unless a launch template says
// otherwise (EC2 User Guide, Windows fast launch prerequisites).
func (s *Server) SetFastLaunchNeedsTemplate(region, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ib.fastLaunchNeedsTemplate[region] = why
}

// DistributionConfiguration returns the body of the distribution
// configuration called name in region, as last created or updated.
func (s *Server) DistributionConfiguration(region, name string) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.ib.dists[region+"/"+name]; r != nil {
		return r.body
	}
	return nil
}
