package awsfake

import (
	"encoding/xml"
)

// deregisterImage follows
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeregisterImage.html:
// the AMI's snapshots stay unless DeleteAssociatedSnapshots asks, and even
// then a snapshot another AMI uses is skipped. An AMI with deregistration
// protection (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ami-deregistration-protection.html)
// cannot be deregistered; the API reference names no error code for that
// refusal, so the fake answers with the common OperationNotPermitted. A
// deregistered AMI's ID answers InvalidAMIID.Unavailable ("The specified
// AMI has been deregistered and is no longer available", errors-overview).
func (s *Server) deregisterImage(req *request) (any, *apiError) {
	id := req.form.Get("ImageId")
	s.mu.Lock()
	defer s.mu.Unlock()
	img, ok := s.images[req.region][id]
	switch {
	case !ok && s.deregistered[req.region+"/"+id]:
		return nil, errorf(400, "InvalidAMIID.Unavailable", "The image id '[%s]' is no longer available", id)
	case !ok:
		return nil, errorf(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
	case img.Owner != Account:
		return nil, errorf(400, "AuthFailure", "Not authorized for image:%s", id)
	case img.DeregistrationProtection != "" && img.DeregistrationProtection != "disabled":
		return nil, errorf(400, "OperationNotPermitted", "Deregistration protection is enabled for image %s (%s)", id, img.DeregistrationProtection)
	}
	delete(s.images[req.region], id)
	s.deregistered[req.region+"/"+id] = true

	type result struct {
		SnapshotID string `xml:"snapshotId"`
		ReturnCode string `xml:"returnCode"`
	}
	var results []result
	if req.form.Get("DeleteAssociatedSnapshots") == "true" {
		for _, d := range img.Devices {
			if d.SnapshotID == "" {
				continue
			}
			code := "success"
			if s.usedByLocked(req.region, d.SnapshotID) != "" {
				code = "skipped"
			} else {
				delete(s.snapshots[req.region], d.SnapshotID)
			}
			results = append(results, result{d.SnapshotID, code})
		}
	}
	return struct {
		XMLName   xml.Name `xml:"DeregisterImageResponse"`
		XMLNS     string   `xml:"xmlns,attr"`
		RequestID string   `xml:"requestId"`
		Return    bool     `xml:"return"`
		Results   []result `xml:"deleteSnapshotResultSet>item,omitempty"`
	}{XMLNS: ec2NS, RequestID: "fake", Return: true, Results: results}, nil
}

// Deregistered reports whether an AMI was deregistered through the API.
func (s *Server) Deregistered(region, id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deregistered[region+"/"+id]
}

// TagImage sets a tag on an AMI.
func (s *Server) TagImage(region, id, key, value string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.mustImageLocked(region, id)
	if img.Tags == nil {
		img.Tags = map[string]string{}
	}
	img.Tags[key] = value
}

// UntagImage removes a tag from an AMI.
func (s *Server) UntagImage(region, id, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.mustImageLocked(region, id).Tags, key)
}

// SetDeregistrationProtection sets what DescribeImages shows as the AMI's
// DeregistrationProtection: "enabled-with-cooldown",
// "enabled-without-cooldown" or "disabled".
func (s *Server) SetDeregistrationProtection(region, id, state string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustImageLocked(region, id).DeregistrationProtection = state
}

// AttachSnapshot adds an EBS volume from an existing snapshot to an AMI's
// block device mapping.
func (s *Server) AttachSnapshot(region, id, device, snapshot string, sizeGiB int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	img := s.mustImageLocked(region, id)
	img.Devices = append(img.Devices, BlockDevice{DeviceName: device, SnapshotID: snapshot, SizeGiB: sizeGiB})
}

func (s *Server) mustImageLocked(region, id string) *Image {
	img, ok := s.images[region][id]
	if !ok {
		panic("awsfake: no AMI " + id + " in " + region)
	}
	return img
}
