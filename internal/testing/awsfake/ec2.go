package awsfake

import (
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
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

func (s *Server) describeImages(req *request) (any, *apiError) {
	ids := indexed(req.form, "ImageId")
	owners := indexed(req.form, "Owner")
	type filter struct {
		name   string
		values []string
	}
	var filters []filter
	for i := 1; ; i++ {
		p := "Filter." + strconv.Itoa(i)
		name := req.form.Get(p + ".Name")
		if name == "" {
			break
		}
		filters = append(filters, filter{name, indexed(req.form, p+".Value")})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if _, ok := s.images[req.region][id]; !ok {
			return nil, errorf(400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", id)
		}
	}
	matches := func(img *Image) bool {
		if len(ids) > 0 && !slices.Contains(ids, img.ID) {
			return false
		}
		if len(owners) > 0 {
			ok := false
			for _, o := range owners {
				ok = ok || o == img.Owner || (o == "self" && img.Owner == Account) || o == img.OwnerAlias && o != ""
			}
			if !ok {
				return false
			}
		}
		for _, f := range filters {
			var have string
			switch {
			case f.name == "name":
				have = img.Name
			case f.name == "state":
				have = img.State
			case f.name == "image-id":
				have = img.ID
			case strings.HasPrefix(f.name, "tag:"):
				v, ok := img.Tags[strings.TrimPrefix(f.name, "tag:")]
				if !ok {
					return false
				}
				have = v
			default:
				return false
			}
			ok := false
			for _, want := range f.values {
				m, _ := path.Match(want, have)
				ok = ok || m
			}
			if !ok {
				return false
			}
		}
		return true
	}
	resp := describeImagesResponse{XMLNS: ec2NS, RequestID: "fake"}
	var keys []string
	for id := range s.images[req.region] {
		keys = append(keys, id)
	}
	sort.Strings(keys)
	for _, id := range keys {
		img := s.images[req.region][id]
		if !matches(img) {
			continue
		}
		item := imageItem{ID: img.ID, Name: img.Name, Owner: img.Owner, Alias: img.OwnerAlias, State: img.State, Public: img.Public,
			Created: img.Created.UTC().Format("2006-01-02T15:04:05.000Z"), Platform: "windows"}
		var tagKeys []string
		for k := range img.Tags {
			tagKeys = append(tagKeys, k)
		}
		sort.Strings(tagKeys)
		for _, k := range tagKeys {
			item.Tags = append(item.Tags, tagItem{k, img.Tags[k]})
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
