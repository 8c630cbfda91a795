package prune

import "time"

// SnapshotPricePerGBMonth is the list price of EBS snapshot storage in the
// standard tier (us-east-1), used for the monthly estimate.
const SnapshotPricePerGBMonth = 0.05

// PriceSource names where the price comes from.
const PriceSource = "EBS snapshot standard tier, us-east-1 list price (Amazon EBS User Guide, \"Pricing and billing for archiving Amazon EBS snapshots\")"

// Decisions about an AMI or a snapshot.
const (
	Keep    = "keep"
	Remove  = "remove"  // report only: would be removed
	Removed = "removed" // removed by this run
	Failed  = "failed"  // to be removed, but the removal failed
)

// Result is what a prune run decided and did.
type Result struct {
	Applied         bool     `json:"applied"`
	Keep            int      `json:"keep"`
	MinAge          string   `json:"minAge"`
	Warnings        []string `json:"warnings,omitempty"`
	AMIs            []*AMI   `json:"amis"`
	Snapshots       []*Snap  `json:"snapshots"`
	Regions         []Total  `json:"regions"`
	GiB             int64    `json:"gib"`
	MonthlyUSD      float64  `json:"monthlyUSD"`
	PricePerGBMonth float64  `json:"pricePerGBMonth"`
	PriceSource     string   `json:"priceSource"`
}

// AMI is one candidate and what became of it.
type AMI struct {
	Image    string    `json:"image"`
	Region   string    `json:"region"`
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Created  time.Time `json:"created"`
	Decision string    `json:"decision"`
	// Reasons say why it is kept (every rule that holds), or why its
	// removal failed.
	Reasons []string `json:"reasons,omitempty"`
	// FastLaunch is the Windows fast launch state found, "" when off.
	FastLaunch string `json:"fastLaunch,omitempty"`
	// Snapshots are the EBS snapshots of its block device mapping.
	Snapshots []string `json:"snapshots,omitempty"`
}

// Snapshot decisions.
const (
	Delete  = "delete"  // report only: would be deleted
	Deleted = "deleted" // deleted by this run
	Left    = "left"    // not deleted, see Reason
)

// Snap is an EBS snapshot of a removed AMI.
type Snap struct {
	Region   string `json:"region"`
	ID       string `json:"id"`
	AMI      string `json:"ami"`
	Image    string `json:"image"`
	SizeGiB  int32  `json:"sizeGiB"`
	Decision string `json:"decision"`
	Reason   string `json:"reason,omitempty"`
	// Earlier is set for a snapshot an interrupted run left behind.
	Earlier bool `json:"earlier,omitempty"`
}

// Total is what a region frees: snapshots deleted (or that would be) and
// their size.
type Total struct {
	Region    string `json:"region"`
	Snapshots int    `json:"snapshots"`
	GiB       int64  `json:"gib"`
}

// RemovedAMIs lists the AMIs this run removed (or, report only, would remove).
func (r *Result) RemovedAMIs() []*AMI {
	var out []*AMI
	for _, a := range r.AMIs {
		if a.Decision == Removed || a.Decision == Remove {
			out = append(out, a)
		}
	}
	return out
}

// Total sums the snapshots deleted (or that would be) per region, and the
// monthly estimate.
func (r *Result) Total() {
	r.Regions, r.GiB = nil, 0
	for _, s := range r.Snapshots {
		if s.Decision != Deleted && s.Decision != Delete {
			continue
		}
		i := len(r.Regions) - 1
		if i < 0 || r.Regions[i].Region != s.Region {
			r.Regions = append(r.Regions, Total{Region: s.Region})
			i++
		}
		r.Regions[i].Snapshots++
		r.Regions[i].GiB += int64(s.SizeGiB)
		r.GiB += int64(s.SizeGiB)
	}
	r.MonthlyUSD = float64(r.GiB) * r.PricePerGBMonth
}
