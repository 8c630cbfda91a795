package awsfake

import (
	"encoding/json"
	"fmt"
	"os"
)

// Seed is the starting state of a fake run as its own process.
type Seed struct {
	Images []struct {
		Region     string            `json:"region"`
		ID         string            `json:"id"`
		Name       string            `json:"name"`
		Owner      string            `json:"owner"`
		OwnerAlias string            `json:"ownerAlias"`
		Tags       map[string]string `json:"tags"`
	} `json:"images"`
	EKSAMIs []struct {
		Region     string `json:"region"`
		Variant    string `json:"variant"`
		Kubernetes string `json:"kubernetes"`
		ID         string `json:"id"`
	} `json:"eksAMIs"`
	Parameters []struct {
		Region string `json:"region"`
		Name   string `json:"name"`
		Value  string `json:"value"`
	} `json:"parameters"`
	InstanceProfiles []string `json:"instanceProfiles"`
	Subnets          []struct {
		Region string `json:"region"`
		ID     string `json:"id"`
	} `json:"subnets"`
	// InstantBuilds makes builds AVAILABLE as soon as they start: a fake in
	// its own process runs on the wall clock.
	InstantBuilds bool `json:"instantBuilds"`
	// Policy, when set, is an IAM policy document file; calls outside it
	// are denied.
	Policy string `json:"policy"`
}

// ApplySeed loads a seed file into the fake.
func (s *Server) ApplySeed(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var seed Seed
	if err := json.Unmarshal(b, &seed); err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	for _, img := range seed.Images {
		s.AddImage(img.Region, Image{ID: img.ID, Name: img.Name, Owner: img.Owner, OwnerAlias: img.OwnerAlias, Tags: img.Tags})
	}
	for _, p := range seed.Parameters {
		s.SetParameter(p.Region, p.Name, p.Value)
	}
	for _, e := range seed.EKSAMIs {
		s.AddEKSAMIWithID(e.Region, e.Variant, e.Kubernetes, e.ID)
	}
	for _, p := range seed.InstanceProfiles {
		s.AddInstanceProfile(p)
	}
	for _, sn := range seed.Subnets {
		s.AddSubnet(sn.Region, sn.ID)
	}
	if seed.InstantBuilds {
		s.mu.Lock()
		s.ib.defaultTimeline = []Phase{{"BUILDING", 0}}
		s.mu.Unlock()
	}
	if seed.Policy != "" {
		b, err := os.ReadFile(seed.Policy)
		if err != nil {
			return err
		}
		if err := s.AllowPolicy(b); err != nil {
			return fmt.Errorf("%s: %w", seed.Policy, err)
		}
	}
	return nil
}
