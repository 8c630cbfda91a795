package prune

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
)

// regionPlan is what a run removes in one region.
type regionPlan struct {
	region string
	ec2    EC2API
	remove []*AMI
	snaps  []*Snap
	// stale are snapshots an earlier run marked whose AMI is registered
	// and stays: their mark is emptied, lest they be taken for leftovers
	// once someone deregisters the AMI.
	stale []*Snap
}

// batch is how many values one EC2 filter takes at most.
const batch = 200

// plan decides every candidate AMI of the images in one region and the
// snapshots their removal frees. It only reads.
func (o *Options) plan(ctx context.Context, res *Result, region string, imgs []config.Image, refs map[string]string) (*regionPlan, error) {
	rp := &regionPlan{region: region, ec2: o.EC2(region)}
	templates, err := launchTemplateImages(ctx, rp.ec2)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", region, err)
	}
	type found struct {
		img   config.Image
		cands []ec2types.Image
		param parameter
	}
	var all []found
	var ids []string
	for _, img := range imgs {
		cands, err := candidates(ctx, rp.ec2, img.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", region, img.Name, err)
		}
		param, err := o.outputParameter(ctx, region, img.Name)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", region, img.Name, err)
		}
		all = append(all, found{img, cands, param})
		for _, c := range cands {
			ids = append(ids, aws.ToString(c.ImageId))
		}
	}
	running, err := instanceImages(ctx, rp.ec2, ids)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", region, err)
	}
	now := o.Clock.Now()
	for _, f := range all {
		u := uses{repository: refs, templates: templates, instances: running, param: f.param}
		// Only AMIs that can launch count among the newest: a failed,
		// disabled or unfinished bake must not push out the last good one.
		rank := 0
		for _, c := range f.cands {
			i := o.Keep
			if c.State == ec2types.ImageStateAvailable {
				i, rank = rank, rank+1
			}
			a := &AMI{Image: f.img.Name, Region: region, ID: aws.ToString(c.ImageId), Name: aws.ToString(c.Name)}
			a.Created, _ = created(c)
			for _, d := range c.BlockDeviceMappings {
				if d.Ebs != nil && aws.ToString(d.Ebs.SnapshotId) != "" {
					a.Snapshots = append(a.Snapshots, aws.ToString(d.Ebs.SnapshotId))
				}
			}
			a.Reasons = o.keepReasons(a, c, i, now, u)
			a.Decision = Keep
			if len(a.Reasons) == 0 {
				a.Decision = Remove
				rp.remove = append(rp.remove, a)
			}
			res.AMIs = append(res.AMIs, a)
		}
	}
	if err := rp.fastLaunch(ctx); err != nil {
		return nil, fmt.Errorf("%s: %w", region, err)
	}
	if err := rp.snapshots(ctx, imgs); err != nil {
		return nil, fmt.Errorf("%s: %w", region, err)
	}
	res.Snapshots = append(res.Snapshots, rp.snaps...)
	return rp, nil
}

// uses are what keep AMIs besides their age and tags, each by AMI ID with
// a description: where the repository names it, the launch template and
// the instance that use it, and the image's SSM output parameter.
type uses struct {
	repository, templates, instances map[string]string
	param                            parameter
}

// keepReasons lists every rule that keeps an AMI; none means remove it.
// i is its place among its image's available candidates, newest first.
func (o *Options) keepReasons(a *AMI, c ec2types.Image, i int, now time.Time, u uses) []string {
	var why []string
	if i < o.Keep {
		why = append(why, fmt.Sprintf("one of the newest %d of %s in %s", o.Keep, a.Image, a.Region))
	}
	if _, ok := created(c); !ok {
		why = append(why, fmt.Sprintf("its creation date %q cannot be read", aws.ToString(c.CreationDate)))
	} else if now.Sub(a.Created) < o.MinAge {
		why = append(why, fmt.Sprintf("younger than %s (created %s)", FormatAge(o.MinAge), a.Created.Format("2006-01-02")))
	}
	if where, ok := u.repository[a.ID]; ok {
		why = append(why, "written in the repository at "+where)
	}
	if lt, ok := u.templates[a.ID]; ok {
		why = append(why, "used by "+lt)
	}
	if in, ok := u.instances[a.ID]; ok {
		why = append(why, "run by "+in)
	}
	if u.param.value != "" && u.param.value == a.ID {
		why = append(why, "current value of SSM parameter "+u.param.name)
	}
	for _, t := range c.Tags {
		if aws.ToString(t.Key) == amitag.Keep {
			why = append(why, "tagged "+amitag.Keep)
		}
	}
	if p := aws.ToString(c.DeregistrationProtection); p != "" && p != "disabled" {
		why = append(why, "deregistration protection is on ("+p+")")
	}
	if c.State == ec2types.ImageStatePending {
		why = append(why, "still being created")
	}
	return why
}

// created is the AMI's creation date; an AMI whose date cannot be read is
// kept for it, never taken for old.
func created(c ec2types.Image) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339, aws.ToString(c.CreationDate))
	return t, err == nil
}

// candidates lists the AMIs this account owns tagged winbake:image=<name>,
// newest first.
func candidates(ctx context.Context, api EC2API, image string) ([]ec2types.Image, error) {
	var out []ec2types.Image
	p := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{
		Owners:            []string{"self"},
		Filters:           []ec2types.Filter{{Name: aws.String("tag:" + amitag.Image), Values: []string{image}}},
		IncludeDeprecated: aws.Bool(true),
		IncludeDisabled:   aws.Bool(true),
		MaxResults:        aws.Int32(pageImages),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("listing the AMIs tagged %s=%s: %w", amitag.Image, image, awsclient.Explain(err))
		}
		out = append(out, page.Images...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, _ := created(out[i])
		b, _ := created(out[j])
		return a.After(b)
	})
	return out, nil
}

// fastLaunch records which AMIs to remove have Windows fast launch on.
func (rp *regionPlan) fastLaunch(ctx context.Context) error {
	if len(rp.remove) == 0 {
		return nil
	}
	byID := map[string]*AMI{}
	var ids []string
	for _, a := range rp.remove {
		byID[a.ID] = a
		ids = append(ids, a.ID)
	}
	for i := 0; i < len(ids); i += batch {
		p := ec2.NewDescribeFastLaunchImagesPaginator(rp.ec2, &ec2.DescribeFastLaunchImagesInput{ImageIds: ids[i:min(i+batch, len(ids))],
			MaxResults: aws.Int32(pageFastLaunch)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return fmt.Errorf("reading Windows fast launch: %w", awsclient.Explain(err))
			}
			for _, f := range page.FastLaunchImages {
				if a := byID[aws.ToString(f.ImageId)]; a != nil {
					a.FastLaunch = string(f.State)
				}
			}
		}
	}
	return nil
}

// snapshots lists the snapshots removing the AMIs frees: the AMIs' own,
// and those an interrupted earlier run marked and left. A snapshot another
// registered AMI uses, or that another account owns, is left.
func (rp *regionPlan) snapshots(ctx context.Context, imgs []config.Image) error {
	removing := map[string]bool{}
	var ids []string
	for _, a := range rp.remove {
		removing[a.ID] = true
		for _, id := range a.Snapshots {
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
				rp.snaps = append(rp.snaps, &Snap{Region: rp.region, ID: id, AMI: a.ID, Image: a.Image})
			}
		}
	}
	owned, err := ownSnapshots(ctx, rp.ec2, ids, nil)
	if err != nil {
		return err
	}
	var names []string
	for _, img := range imgs {
		names = append(names, img.Name)
	}
	earlier, err := ownSnapshots(ctx, rp.ec2, nil, []ec2types.Filter{
		// A mark names the AMI; an emptied one is no mark.
		{Name: aws.String("tag:" + amitag.PrunedFrom), Values: []string{"ami-*"}},
		{Name: aws.String("tag:" + amitag.Image), Values: names},
	})
	if err != nil {
		return err
	}
	for _, sn := range earlier {
		if slices.Contains(ids, aws.ToString(sn.SnapshotId)) {
			continue
		}
		owned[aws.ToString(sn.SnapshotId)] = sn
		ids = append(ids, aws.ToString(sn.SnapshotId))
		rp.snaps = append(rp.snaps, &Snap{Region: rp.region, ID: aws.ToString(sn.SnapshotId), AMI: tag(sn.Tags, amitag.PrunedFrom),
			Image: tag(sn.Tags, amitag.Image), Earlier: true})
	}
	users, err := snapshotUsers(ctx, rp.ec2, ids)
	if err != nil {
		return err
	}
	// A marked snapshot whose AMI is still registered (the run stopped
	// before deregistering it) is that AMI's business, not a leftover.
	rp.snaps = slices.DeleteFunc(rp.snaps, func(s *Snap) bool {
		kept := s.Earlier && slices.ContainsFunc(users[s.ID], func(u string) bool { return !removing[u] })
		if kept {
			rp.stale = append(rp.stale, s)
		}
		return kept
	})
	for _, s := range rp.snaps {
		sn, mine := owned[s.ID]
		s.SizeGiB = aws.ToInt32(sn.VolumeSize)
		s.Decision = Delete
		var others []string
		for _, u := range users[s.ID] {
			if !removing[u] {
				others = append(others, u)
			}
		}
		switch {
		case !mine:
			s.Decision, s.Reason = Left, "owned by another account"
		case len(others) > 0:
			s.Decision, s.Reason = Left, "also used by "+strings.Join(others, ", ")
		}
	}
	return nil
}

// ownSnapshots describes this account's snapshots among ids, or those
// matching filters, by ID.
func ownSnapshots(ctx context.Context, api EC2API, ids []string, filters []ec2types.Filter) (map[string]ec2types.Snapshot, error) {
	out := map[string]ec2types.Snapshot{}
	var inputs []*ec2.DescribeSnapshotsInput
	if ids == nil {
		inputs = append(inputs, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, Filters: filters, MaxResults: aws.Int32(pageSnapshots)})
	}
	// By filter rather than SnapshotIds: an ID that is gone is no error.
	for i := 0; i < len(ids); i += batch {
		inputs = append(inputs, &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}, MaxResults: aws.Int32(pageSnapshots),
			Filters: []ec2types.Filter{{Name: aws.String("snapshot-id"), Values: ids[i:min(i+batch, len(ids))]}}})
	}
	for _, in := range inputs {
		p := ec2.NewDescribeSnapshotsPaginator(api, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("reading snapshots: %w", awsclient.Explain(err))
			}
			for _, sn := range page.Snapshots {
				out[aws.ToString(sn.SnapshotId)] = sn
			}
		}
	}
	return out, nil
}

// snapshotUsers maps each snapshot to the registered AMIs of this account
// whose block device mapping names it.
func snapshotUsers(ctx context.Context, api EC2API, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	for i := 0; i < len(ids); i += batch {
		p := ec2.NewDescribeImagesPaginator(api, &ec2.DescribeImagesInput{
			Owners:            []string{"self"},
			Filters:           []ec2types.Filter{{Name: aws.String("block-device-mapping.snapshot-id"), Values: ids[i:min(i+batch, len(ids))]}},
			IncludeDeprecated: aws.Bool(true),
			IncludeDisabled:   aws.Bool(true),
			MaxResults:        aws.Int32(pageImages),
		})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("looking for AMIs that use the snapshots: %w", awsclient.Explain(err))
			}
			for _, im := range page.Images {
				for _, d := range im.BlockDeviceMappings {
					if d.Ebs != nil {
						sid := aws.ToString(d.Ebs.SnapshotId)
						out[sid] = append(out[sid], aws.ToString(im.ImageId))
					}
				}
			}
		}
	}
	return out, nil
}

func tag(tags []ec2types.Tag, key string) string {
	for _, t := range tags {
		if aws.ToString(t.Key) == key {
			return aws.ToString(t.Value)
		}
	}
	return ""
}
