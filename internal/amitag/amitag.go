// Package amitag spells the tag keys winbake puts on the AMIs and Image
// Builder resources it makes. bake writes them, components renders them
// into the recipe, and amiref reads them back to tell an image's lineage.
package amitag

import "fmt"

// Tag keys. Image is the lineage key: bump trusts an AMI as an image's own
// only when it carries Image=<name>.
const (
	Image      = "winbake:image"
	Kubernetes = "winbake:kubernetes"
	Windows    = "winbake:windows"
	Content    = "winbake:content-sha256"
	BakeID     = "winbake:bake-id"
	BaseAMI    = "winbake:base-ami"
	Updates    = "winbake:updates"
	CacheCount = "winbake:cache-count"
	// Keep on an AMI keeps prune from removing it, whatever its value.
	Keep = "winbake:keep"
	// PrunedFrom marks a snapshot prune is about to free, with the ID of
	// its AMI, so a run stopped after deregistering is completed by the next.
	PrunedFrom = "winbake:pruned-from"
)

// Cache is the key of the i-th cached image's tag.
func Cache(i int) string { return fmt.Sprintf("winbake:cache/%02d", i) }
