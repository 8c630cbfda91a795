package awsfake

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"time"
)

func base64Std(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Image is an AMI in one region.
type Image struct {
	ID    string
	Name  string
	Owner string // account ID
	// OwnerAlias is "amazon" for AMIs AWS publishes.
	OwnerAlias string
	Created    time.Time
	State      string // available, pending, failed
	Public     bool
	Tags       map[string]string
	// Devices is the block device mapping: the AMI's EBS snapshots.
	Devices []BlockDevice
	// DeregistrationProtection is "" or "disabled" when off, else
	// "enabled-with-cooldown" or "enabled-without-cooldown".
	DeregistrationProtection string
}

// AddImage stores an AMI in a region and returns its ID (generated when
// img.ID is empty).
func (s *Server) AddImage(region string, img Image) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addImageLocked(region, img)
}

func (s *Server) addImageLocked(region string, img Image) string {
	if img.ID == "" {
		s.nextID++
		img.ID = fmt.Sprintf("ami-%017x", 0xfa4e0000000+s.nextID)
	}
	if img.State == "" {
		img.State = "available"
	}
	if img.Owner == "" {
		img.Owner = Account
	}
	if img.Created.IsZero() {
		img.Created = s.Clock.Now()
	}
	if s.images[region] == nil {
		s.images[region] = map[string]*Image{}
	}
	s.images[region][img.ID] = &img
	return img.ID
}

// Images lists the AMIs of a region, sorted by ID.
func (s *Server) Images(region string) []Image {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Image
	for _, img := range s.images[region] {
		out = append(out, *img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// indexed collects Key.1, Key.2, ... from a query form.
func indexed(form map[string][]string, key string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := form[key+"."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// describeImages follows
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeImages.html
// for ImageId.N, Owner.N (an account, "self", or an alias such as
// "amazon") and the filters name, state, image-id, owner-id, tag:<key>,
// tag-key and block-device-mapping.snapshot-id. An AMI deregistered
// through the API is no longer listed.
func (s *Server) describeImages(req *request) (any, *apiError) {
	ids := indexed(req.form, "ImageId")
	owners := indexed(req.form, "Owner")
	filters := ec2Filters(req.form)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, ok := s.images[req.region][id]; !ok && !s.deregistered[req.region+"/"+id] {
			return nil, errorf(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
	}
	matches := func(img *Image) bool {
		if len(ids) > 0 && !slices.Contains(ids, img.ID) {
			return false
		}
		if len(owners) > 0 && !ownedBy(owners, img.Owner) && !(img.OwnerAlias != "" && slices.Contains(owners, img.OwnerAlias)) {
			return false
		}
		return filters.match(func(name string) ([]string, bool) {
			switch name {
			case "name":
				return []string{img.Name}, true
			case "state":
				return []string{img.State}, true
			case "image-id":
				return []string{img.ID}, true
			case "owner-id":
				return []string{img.Owner}, true
			case "block-device-mapping.snapshot-id":
				var snaps []string
				for _, d := range img.Devices {
					snaps = append(snaps, d.SnapshotID)
				}
				return snaps, true
			}
			return tagFilter(name, img.Tags)
		})
	}
	var found []*Image
	for _, id := range sortedKeys(s.images[req.region]) {
		if img := s.images[req.region][id]; matches(img) {
			found = append(found, img)
		}
	}
	from, to, next, perr := s.pageLocked(req, imagesPaging, len(found))
	if perr != nil {
		return nil, perr
	}
	resp := describeImagesResponse{XMLNS: ec2NS, RequestID: "fake", NextToken: next}
	for _, img := range found[from:to] {
		item := imageItem{ID: img.ID, Name: img.Name, Owner: img.Owner, Alias: img.OwnerAlias, State: img.State, Public: img.Public,
			Created: img.Created.UTC().Format("2006-01-02T15:04:05.000Z"), Platform: "windows", Tags: tagItems(img.Tags),
			RootDeviceType: "ebs", RootDeviceName: "/dev/sda1", DeregistrationProtection: img.DeregistrationProtection}
		if item.DeregistrationProtection == "" {
			item.DeregistrationProtection = "disabled"
		}
		for _, d := range img.Devices {
			item.Devices = append(item.Devices, blockDeviceItem{DeviceName: d.DeviceName,
				EBS: ebsItem{SnapshotID: d.SnapshotID, SizeGiB: d.SizeGiB, DeleteOnTermination: true, VolumeType: "gp3"}})
		}
		resp.Images = append(resp.Images, item)
	}
	return resp, nil
}

const ec2NS = "http://ec2.amazonaws.com/doc/2016-11-15/"

type describeImagesResponse struct {
	XMLName   xml.Name    `xml:"DescribeImagesResponse"`
	XMLNS     string      `xml:"xmlns,attr"`
	RequestID string      `xml:"requestId"`
	Images    []imageItem `xml:"imagesSet>item"`
	NextToken string      `xml:"nextToken,omitempty"`
}

type imageItem struct {
	ID       string    `xml:"imageId"`
	Name     string    `xml:"name"`
	Owner    string    `xml:"imageOwnerId"`
	Alias    string    `xml:"imageOwnerAlias,omitempty"`
	State    string    `xml:"imageState"`
	Public   bool      `xml:"isPublic"`
	Created  string    `xml:"creationDate"`
	Platform string    `xml:"platform"`
	Tags     []tagItem `xml:"tagSet>item"`

	RootDeviceType           string            `xml:"rootDeviceType"`
	RootDeviceName           string            `xml:"rootDeviceName"`
	Devices                  []blockDeviceItem `xml:"blockDeviceMapping>item"`
	DeregistrationProtection string            `xml:"deregistrationProtection"`
}

type blockDeviceItem struct {
	DeviceName string  `xml:"deviceName"`
	EBS        ebsItem `xml:"ebs"`
}

type ebsItem struct {
	SnapshotID          string `xml:"snapshotId"`
	SizeGiB             int32  `xml:"volumeSize"`
	DeleteOnTermination bool   `xml:"deleteOnTermination"`
	VolumeType          string `xml:"volumeType"`
}

type tagItem struct {
	Key   string `xml:"key"`
	Value string `xml:"value"`
}

func (s *Server) describeSubnets(req *request) (any, *apiError) {
	ids := indexed(req.form, "SubnetId")
	s.mu.Lock()
	defer s.mu.Unlock()
	type subnet struct {
		ID string `xml:"subnetId"`
		AZ string `xml:"availabilityZone"`
	}
	var out []subnet
	for _, id := range ids {
		if !s.ib.subnets[req.region+"/"+id] {
			return nil, errorf(400, "InvalidSubnetID.NotFound", "The subnet ID '%s' does not exist", id)
		}
		out = append(out, subnet{id, req.region + "a"})
	}
	return struct {
		XMLName xml.Name `xml:"DescribeSubnetsResponse"`
		XMLNS   string   `xml:"xmlns,attr"`
		Subnets []subnet `xml:"subnetSet>item"`
	}{XMLNS: ec2NS, Subnets: out}, nil
}
