package awsfake

import (
	"encoding/xml"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/winbake/winbake/internal/amitag"
)

// Sources for the EC2 snapshot and tag actions below, request parameters
// and response elements alike:
//   - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
//   - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DeleteSnapshot.html
//     ("You cannot delete a snapshot of the root device of an EBS volume
//     used by a registered AMI. You must first deregister the AMI")
//   - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateTags.html
//   - https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeTags.html
//   - error codes: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html
//     (InvalidSnapshot.InUse, InvalidSnapshot.NotFound, InvalidAMIID.NotFound, InvalidID)
// Element names are those aws-sdk-go-v2's ec2 deserializers read.

// Snapshot is an EBS snapshot in one region.
type Snapshot struct {
	ID          string
	Owner       string // account ID; the fake's own by default
	SizeGiB     int32
	Description string
	Created     time.Time
	Tags        map[string]string
}

// BlockDevice is an EBS entry of an AMI's block device mapping.
type BlockDevice struct {
	DeviceName string
	SnapshotID string
	SizeGiB    int32
}

// AddSnapshot stores a snapshot in a region and returns its ID (generated
// when snap.ID is empty).
func (s *Server) AddSnapshot(region string, snap Snapshot) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addSnapshotLocked(region, snap)
}

func (s *Server) addSnapshotLocked(region string, snap Snapshot) string {
	if snap.ID == "" {
		s.nextID++
		snap.ID = fmt.Sprintf("snap-%017x", 0x5a0000000+s.nextID)
	}
	if snap.Owner == "" {
		snap.Owner = Account
	}
	if snap.Created.IsZero() {
		snap.Created = s.Clock.Now()
	}
	if snap.Tags == nil {
		snap.Tags = map[string]string{}
	}
	if s.snapshots[region] == nil {
		s.snapshots[region] = map[string]*Snapshot{}
	}
	s.snapshots[region][snap.ID] = &snap
	return snap.ID
}

// Snapshots lists the snapshots of a region, sorted by ID.
func (s *Server) Snapshots(region string) []Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Snapshot
	for _, sn := range s.snapshots[region] {
		c := *sn
		c.Tags = maps(sn.Tags)
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// FindSnapshot returns a snapshot of a region.
func (s *Server) FindSnapshot(region, id string) (Snapshot, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn, ok := s.snapshots[region][id]
	if !ok {
		return Snapshot{}, false
	}
	c := *sn
	c.Tags = maps(sn.Tags)
	return c, true
}

func maps(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// AddBakedAMI stores an AMI as a bake leaves it: owned by the account,
// tagged winbake:image=<image>, created at created, with a root snapshot of
// sizeGiB. It returns the AMI and snapshot IDs.
func (s *Server) AddBakedAMI(region, image string, created time.Time, sizeGiB int32) (ami, snap string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	snap = s.addSnapshotLocked(region, Snapshot{SizeGiB: sizeGiB, Created: created})
	ami = s.addImageLocked(region, Image{
		Name:    fmt.Sprintf("winbake-%s-%s", image, created.Format("20060102T150405")),
		Created: created,
		Tags:    map[string]string{amitag.Image: image},
		Devices: []BlockDevice{{DeviceName: "/dev/sda1", SnapshotID: snap, SizeGiB: sizeGiB}},
	})
	s.snapshots[region][snap].Description = fmt.Sprintf("Created by CreateImage(i-0fa4e000000000001) for %s", ami)
	return ami, snap
}

// usedByLocked returns a registered AMI of the region whose block device
// mapping names the snapshot, or "".
func (s *Server) usedByLocked(region, snap string) string {
	var ids []string
	for id, img := range s.images[region] {
		for _, d := range img.Devices {
			if d.SnapshotID == snap {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return ""
	}
	sort.Strings(ids)
	return ids[0]
}

func (s *Server) describeSnapshots(req *request) (any, *apiError) {
	ids := indexed(req.form, "SnapshotId")
	owners := indexed(req.form, "Owner")
	filters := ec2Filters(req.form)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, ok := s.snapshots[req.region][id]; !ok {
			return nil, errorf(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
		}
	}
	var items []snapshotItem
	for _, id := range sortedKeys(s.snapshots[req.region]) {
		sn := s.snapshots[req.region][id]
		if len(ids) > 0 && !slices.Contains(ids, id) || !ownedBy(owners, sn.Owner) {
			continue
		}
		ok := filters.match(func(name string) ([]string, bool) {
			switch name {
			case "snapshot-id":
				return []string{sn.ID}, true
			case "owner-id":
				return []string{sn.Owner}, true
			case "description":
				return []string{sn.Description}, true
			case "volume-size":
				return []string{fmt.Sprint(sn.SizeGiB)}, true
			case "status":
				return []string{"completed"}, true
			}
			return tagFilter(name, sn.Tags)
		})
		if !ok {
			continue
		}
		items = append(items, snapshotItem{
			ID: sn.ID, VolumeID: "vol-ffffffff", Status: "completed", StartTime: sn.Created.UTC().Format("2006-01-02T15:04:05.000Z"),
			Progress: "100%", Owner: sn.Owner, SizeGiB: sn.SizeGiB, Description: sn.Description, StorageTier: "standard",
			Tags: tagItems(sn.Tags),
		})
	}
	from, to, next, perr := s.pageLocked(req, snapshotsPaging, len(items))
	if perr != nil {
		return nil, perr
	}
	return struct {
		XMLName   xml.Name       `xml:"DescribeSnapshotsResponse"`
		XMLNS     string         `xml:"xmlns,attr"`
		RequestID string         `xml:"requestId"`
		Snapshots []snapshotItem `xml:"snapshotSet>item"`
		NextToken string         `xml:"nextToken,omitempty"`
	}{XMLNS: ec2NS, RequestID: "fake", Snapshots: items[from:to], NextToken: next}, nil
}

type snapshotItem struct {
	ID          string    `xml:"snapshotId"`
	VolumeID    string    `xml:"volumeId"`
	Status      string    `xml:"status"`
	StartTime   string    `xml:"startTime"`
	Progress    string    `xml:"progress"`
	Owner       string    `xml:"ownerId"`
	SizeGiB     int32     `xml:"volumeSize"`
	Description string    `xml:"description"`
	Encrypted   bool      `xml:"encrypted"`
	StorageTier string    `xml:"storageTier"`
	Tags        []tagItem `xml:"tagSet>item"`
}

func (s *Server) deleteSnapshot(req *request) (any, *apiError) {
	id := req.form.Get("SnapshotId")
	s.mu.Lock()
	defer s.mu.Unlock()
	sn, ok := s.snapshots[req.region][id]
	if !ok {
		return nil, errorf(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
	}
	if ami := s.usedByLocked(req.region, id); ami != "" {
		return nil, errorf(400, "InvalidSnapshot.InUse", "The snapshot %s is currently in use by %s", id, ami)
	}
	if s.fastLaunchSnapshotLocked(req.region, id) {
		return nil, errorf(400, "InvalidSnapshot.InUse", "The snapshot %s is currently in use by Windows fast launch", id)
	}
	delete(s.snapshots[req.region], sn.ID)
	return returnResponse("DeleteSnapshotResponse"), nil
}

// returnResponse is the answer of the EC2 actions that return only
// <return>true</return>.
func returnResponse(name string) any {
	return struct {
		XMLName   xml.Name
		XMLNS     string `xml:"xmlns,attr"`
		RequestID string `xml:"requestId"`
		Return    bool   `xml:"return"`
	}{XMLName: xml.Name{Local: name}, XMLNS: ec2NS, RequestID: "fake", Return: true}
}

func (s *Server) createTags(req *request) (any, *apiError) {
	ids := indexed(req.form, "ResourceId")
	tags := map[string]string{}
	for i := 1; ; i++ {
		k, ok := req.form[fmt.Sprintf("Tag.%d.Key", i)]
		if !ok {
			break
		}
		tags[k[0]] = req.form.Get(fmt.Sprintf("Tag.%d.Value", i))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	targets := make([]map[string]string, 0, len(ids))
	for _, id := range ids {
		switch {
		case strings.HasPrefix(id, "ami-"):
			img, ok := s.images[req.region][id]
			if !ok {
				return nil, errorf(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
			}
			if img.Tags == nil {
				img.Tags = map[string]string{}
			}
			targets = append(targets, img.Tags)
		case strings.HasPrefix(id, "snap-"):
			sn, ok := s.snapshots[req.region][id]
			if !ok {
				return nil, errorf(400, "InvalidSnapshot.NotFound", "The snapshot '%s' does not exist.", id)
			}
			targets = append(targets, sn.Tags)
		default:
			return nil, errorf(400, "InvalidID", "The ID '%s' is not valid", id)
		}
	}
	// All or nothing: every ID is checked before any is tagged.
	for _, t := range targets {
		for k, v := range tags {
			t[k] = v
		}
	}
	return returnResponse("CreateTagsResponse"), nil
}

func (s *Server) describeTags(req *request) (any, *apiError) {
	filters := ec2Filters(req.form)
	s.mu.Lock()
	defer s.mu.Unlock()
	type tagDescription struct {
		ResourceID   string `xml:"resourceId"`
		ResourceType string `xml:"resourceType"`
		Key          string `xml:"key"`
		Value        string `xml:"value"`
	}
	var out []tagDescription
	add := func(id, kind string, tags map[string]string) {
		for _, k := range sortedKeys(tags) {
			v := tags[k]
			ok := filters.match(func(name string) ([]string, bool) {
				switch name {
				case "resource-id":
					return []string{id}, true
				case "resource-type":
					return []string{kind}, true
				case "key":
					return []string{k}, true
				case "value":
					return []string{v}, true
				}
				return nil, false
			})
			if ok {
				out = append(out, tagDescription{id, kind, k, v})
			}
		}
	}
	for _, id := range sortedKeys(s.images[req.region]) {
		add(id, "image", s.images[req.region][id].Tags)
	}
	for _, id := range sortedKeys(s.snapshots[req.region]) {
		add(id, "snapshot", s.snapshots[req.region][id].Tags)
	}
	return struct {
		XMLName   xml.Name         `xml:"DescribeTagsResponse"`
		XMLNS     string           `xml:"xmlns,attr"`
		RequestID string           `xml:"requestId"`
		Tags      []tagDescription `xml:"tagSet>item"`
	}{XMLNS: ec2NS, RequestID: "fake", Tags: out}, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func tagItems(tags map[string]string) []tagItem {
	var out []tagItem
	for _, k := range sortedKeys(tags) {
		out = append(out, tagItem{k, tags[k]})
	}
	return out
}

// ownedBy applies DescribeImages' and DescribeSnapshots' Owner list.
func ownedBy(owners []string, owner string) bool {
	if len(owners) == 0 {
		return true
	}
	for _, o := range owners {
		if o == owner || o == "self" && owner == Account {
			return true
		}
	}
	return false
}
