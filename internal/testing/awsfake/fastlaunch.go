package awsfake

import (
	"encoding/xml"
	"slices"
	"time"
)

// Windows fast launch, after
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeFastLaunchImages.html and
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DisableFastLaunch.html:
// an enabled AMI keeps pre-provisioned snapshots; DisableFastLaunch moves
// it to "disabling" and EC2 cleans the snapshots up, which takes a while,
// after which the AMI is no longer listed.

// FastLaunchCleanup is how long (simulated) EC2 takes to remove the
// pre-provisioned snapshots once fast launch is disabled.
const FastLaunchCleanup = 5 * time.Minute

type fastLaunch struct {
	state     string
	target    int
	snapshots []string
	changed   time.Time
}

// EnableFastLaunch turns fast launch on for an AMI with n pre-provisioned
// snapshots (as the distribution's fast-launch configuration does) and
// returns their IDs.
func (s *Server) EnableFastLaunch(region, ami string, n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	img, ok := s.images[region][ami]
	if !ok {
		panic("awsfake: EnableFastLaunch of unknown AMI " + ami)
	}
	var size int32
	for _, d := range img.Devices {
		size += d.SizeGiB
	}
	fl := &fastLaunch{state: "enabled", target: n, changed: s.Clock.Now()}
	for range n {
		fl.snapshots = append(fl.snapshots, s.addSnapshotLocked(region, Snapshot{SizeGiB: size,
			Description: "pre-provisioned snapshot for Windows fast launch of " + ami}))
	}
	if s.fastLaunch[region] == nil {
		s.fastLaunch[region] = map[string]*fastLaunch{}
	}
	s.fastLaunch[region][ami] = fl
	return fl.snapshots
}

// FastLaunchState is the fast launch state of an AMI ("" when off).
func (s *Server) FastLaunchState(region, ami string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleFastLaunchLocked(region)
	if fl := s.fastLaunch[region][ami]; fl != nil {
		return fl.state
	}
	return ""
}

// settleFastLaunchLocked finishes the clean-ups whose time has come.
func (s *Server) settleFastLaunchLocked(region string) {
	now := s.Clock.Now()
	for ami, fl := range s.fastLaunch[region] {
		if fl.state != "disabling" || now.Before(fl.changed.Add(FastLaunchCleanup)) {
			continue
		}
		for _, id := range fl.snapshots {
			delete(s.snapshots[region], id)
		}
		delete(s.fastLaunch[region], ami)
	}
}

func (s *Server) fastLaunchSnapshotLocked(region, snap string) bool {
	for _, fl := range s.fastLaunch[region] {
		if slices.Contains(fl.snapshots, snap) {
			return true
		}
	}
	return false
}

type fastLaunchItem struct {
	ImageID        string `xml:"imageId"`
	ResourceType   string `xml:"resourceType"`
	Target         int    `xml:"snapshotConfiguration>targetResourceCount"`
	MaxParallel    int    `xml:"maxParallelLaunches"`
	Owner          string `xml:"ownerId"`
	State          string `xml:"state"`
	Reason         string `xml:"stateTransitionReason"`
	TransitionTime string `xml:"stateTransitionTime"`
}

func (fl *fastLaunch) item(ami string) fastLaunchItem {
	return fastLaunchItem{ami, "snapshot", fl.target, 6, Account, fl.state, "Client.UserInitiated", fl.changed.UTC().Format("2006-01-02T15:04:05.000Z")}
}

func (s *Server) describeFastLaunchImages(req *request) (any, *apiError) {
	ids := indexed(req.form, "ImageId")
	filters := ec2Filters(req.form)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleFastLaunchLocked(req.region)
	var out []fastLaunchItem
	for _, ami := range sortedKeys(s.fastLaunch[req.region]) {
		if len(ids) > 0 && !slices.Contains(ids, ami) {
			continue
		}
		fl := s.fastLaunch[req.region][ami]
		ok := filters.match(func(name string) ([]string, bool) {
			switch name {
			case "state":
				return []string{fl.state}, true
			case "owner-id":
				return []string{Account}, true
			case "resource-type":
				return []string{"snapshot"}, true
			}
			return nil, false
		})
		if ok {
			out = append(out, fl.item(ami))
		}
	}
	from, to, next, perr := s.pageLocked(req, fastLaunchImagesPaging, len(out))
	if perr != nil {
		return nil, perr
	}
	return struct {
		XMLName   xml.Name         `xml:"DescribeFastLaunchImagesResponse"`
		XMLNS     string           `xml:"xmlns,attr"`
		RequestID string           `xml:"requestId"`
		Images    []fastLaunchItem `xml:"fastLaunchImageSet>item"`
		NextToken string           `xml:"nextToken,omitempty"`
	}{XMLNS: ec2NS, RequestID: "fake", Images: out[from:to], NextToken: next}, nil
}

func (s *Server) disableFastLaunch(req *request) (any, *apiError) {
	ami := req.form.Get("ImageId")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.settleFastLaunchLocked(req.region)
	if _, ok := s.images[req.region][ami]; !ok {
		return nil, errorf(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", ami)
	}
	fl := s.fastLaunch[req.region][ami]
	if fl == nil {
		// The API reference names no error for an AMI without fast
		// launch; the fake refuses it so a caller that did not look first
		// is noticed.
		return nil, errorf(400, "InvalidParameterValue", "Windows fast launch is not enabled for %s", ami)
	}
	if fl.state != "disabling" {
		fl.state, fl.changed = "disabling", s.Clock.Now()
	}
	return struct {
		XMLName   xml.Name `xml:"DisableFastLaunchResponse"`
		XMLNS     string   `xml:"xmlns,attr"`
		RequestID string   `xml:"requestId"`
		fastLaunchItem
	}{XMLNS: ec2NS, RequestID: "fake", fastLaunchItem: fl.item(ami)}, nil
}

// FastLaunchSnapshots lists the pre-provisioned snapshots of an AMI.
func (s *Server) FastLaunchSnapshots(region, ami string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fl := s.fastLaunch[region][ami]; fl != nil {
		return append([]string(nil), fl.snapshots...)
	}
	return nil
}
