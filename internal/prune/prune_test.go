package prune

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/winbake/winbake/internal/amitag"
	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

const (
	east  = "us-east-1"
	west  = "eu-west-1"
	param = "/winbake/{image}/ami"
)

// world is an account after a year of monthly bakes, with every reason to
// keep an AMI present once, and a repository that names some of them.
type world struct {
	aws  *awsfake.Server
	repo string
	cfg  *config.Config
	// amis names the baked AMIs of win in us-east-1 by what they test.
	amis  map[string]string
	snaps map[string]string
	// others are AMIs that are never candidates.
	others []string
}

func newWorld(t *testing.T) *world {
	t.Helper()
	s := awsfake.Start(t)
	w := &world{aws: s, repo: t.TempDir(), amis: map[string]string{}, snaps: map[string]string{}}
	now := s.Clock.Now()
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	bake := func(what string, days int) string {
		ami, snap := s.AddBakedAMI(east, "win", ago(days), 50)
		w.amis[what], w.snaps[what] = ami, snap
		return ami
	}
	bake("newest", 5)
	bake("second", 10)
	bake("young", 20)
	bake("written", 70)
	bake("ltDefault", 100)
	bake("ltLatest", 130)
	bake("ltOld", 160)
	bake("running", 190)
	bake("terminated", 220)
	bake("param", 250)
	bake("keepTag", 280)
	bake("protected", 310)
	bake("fastLaunch", 340)
	bake("shares", 370)
	bake("plain", 400)

	s.TagImage(east, w.amis["keepTag"], amitag.Keep, "")
	s.SetDeregistrationProtection(east, w.amis["protected"], "enabled-without-cooldown")
	// "shares" has a second volume from a snapshot a kept AMI also uses.
	s.AttachSnapshot(east, w.amis["shares"], "/dev/xvdb", w.snaps["keepTag"], 50)
	s.EnableFastLaunch(east, w.amis["fastLaunch"], 3)
	s.AddLaunchTemplate(east, awsfake.LaunchTemplate{Name: "win-nodes",
		Images: []string{w.amis["ltOld"], w.amis["ltDefault"], w.amis["ltLatest"]}, Default: 2})
	s.AddInstance(east, awsfake.Instance{ImageID: w.amis["running"], State: "stopped"})
	s.AddInstance(east, awsfake.Instance{ImageID: w.amis["terminated"], State: "terminated"})
	s.SetParameter(east, "/winbake/win/ami", w.amis["param"])

	// Never candidates: the stock AMI, an untagged AMI of ours, another
	// account's AMI tagged for win, and the other image's AMIs.
	w.others = append(w.others,
		s.AddImage(east, awsfake.Image{Name: "Windows_Server-2022-English-Core-EKS_Optimized-1.31-2025.01.01", Owner: "801119661308", OwnerAlias: "amazon", Created: ago(500)}),
		s.AddImage(east, awsfake.Image{Name: "hand-made", Created: ago(500)}),
		s.AddImage(east, awsfake.Image{Name: "theirs", Owner: "210987654321", Created: ago(500), Tags: map[string]string{amitag.Image: "win"}}),
	)
	for _, days := range []int{400, 430, 460} {
		ami, _ := s.AddBakedAMI(east, "linux-side", ago(days), 30)
		w.others = append(w.others, ami)
	}
	// eu-west-1: three old bakes of win; the oldest goes.
	for _, days := range []int{35, 65, 95} {
		ami, snap := s.AddBakedAMI(west, "win", ago(days), 50)
		w.amis[fmt.Sprintf("west%d", days)], w.snaps[fmt.Sprintf("west%d", days)] = ami, snap
	}

	write(t, w.repo, "terraform/nodes.tf", "resource \"aws_launch_template\" \"win\" {\n  # rolled back from "+w.amis["written"]+" in October\n  image_id = \"ami-0e0e0e0e0e0e0e0e1\"\n}\n")
	cfg, err := config.Parse("winbake.yaml", []byte(`images:
  - name: win
    kubernetes: "1.31"
    windows: 2022-core
    regions: [us-east-1, eu-west-1]
  - name: linux-side
    kubernetes: "1.31"
    windows: 2022-core
    regions: [us-east-1]
imagebuilder:
  ssmParameter: `+param+`
  executionRole: WinbakeExecution
`))
	if err != nil {
		t.Fatal(err)
	}
	w.cfg = cfg
	return w
}

func write(t *testing.T, root, name, content string) {
	t.Helper()
	p := filepath.Join(root, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func (w *world) options(t *testing.T, apply bool) Options {
	t.Helper()
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return Options{
		Config: w.cfg, Repo: w.repo, Images: []string{"win"}, Keep: DefaultKeep, MinAge: DefaultMinAge, Apply: apply,
		EC2:   func(r string) EC2API { return clients.EC2(r) },
		SSM:   func(r string) SSMAPI { return clients.SSM(r) },
		Clock: w.aws.Clock,
	}
}

// changing lists the calls that change AWS: anything but a read, and no
// DryRun.
func changing(calls []awsfake.Call) []awsfake.Call {
	var out []awsfake.Call
	for _, c := range calls {
		_, op, _ := strings.Cut(c.Action, ":")
		if c.DryRun || strings.HasPrefix(op, "Describe") || strings.HasPrefix(op, "Get") || strings.HasPrefix(op, "List") {
			continue
		}
		out = append(out, c)
	}
	return out
}

func find(r *Result, id string) *AMI {
	for _, a := range r.AMIs {
		if a.ID == id {
			return a
		}
	}
	return nil
}

// kept says, for each AMI of win in us-east-1, the reason it is kept
// (a part of it), or "" when no rule keeps it.
var kept = map[string]string{
	"newest":     "one of the newest 2 of win in us-east-1",
	"second":     "one of the newest 2",
	"young":      "younger than 30d (created 2026-10-23)",
	"written":    "written in the repository at terraform/nodes.tf:2",
	"ltDefault":  "version 2 ($Default)",
	"ltLatest":   "version 3 ($Latest)",
	"ltOld":      "",
	"running":    "run by instance i-",
	"terminated": "",
	"param":      "current value of SSM parameter /winbake/win/ami",
	"keepTag":    "tagged winbake:keep",
	"protected":  "deregistration protection is on (enabled-without-cooldown)",
	"fastLaunch": "",
	"shares":     "",
	"plain":      "",
}

func TestReportOnlyDecidesEveryRuleAndChangesNothing(t *testing.T) {
	w := newWorld(t)
	res, err := Run(context.Background(), w.options(t, false))
	if err != nil {
		t.Fatal(err)
	}
	for what, want := range kept {
		a := find(res, w.amis[what])
		if a == nil {
			t.Errorf("%s (%s) is not a candidate", what, w.amis[what])
			continue
		}
		switch {
		case want == "" && a.Decision != Remove:
			t.Errorf("%s: %s %v, want remove", what, a.Decision, a.Reasons)
		case want != "" && (a.Decision != Keep || !strings.Contains(strings.Join(a.Reasons, "; "), want)):
			t.Errorf("%s: %s %v, want keep: %q", what, a.Decision, a.Reasons, want)
		}
	}
	for _, id := range w.others {
		if a := find(res, id); a != nil {
			t.Errorf("%s is a candidate (%s), but is not this account's AMI tagged for win", id, a.Name)
		}
	}
	if a := find(res, w.amis["fastLaunch"]); a.FastLaunch != "enabled" {
		t.Errorf("fast launch state = %q", a.FastLaunch)
	}
	// Not a change, and not even a DryRun: only reads.
	for _, c := range w.aws.Calls() {
		if _, op, _ := strings.Cut(c.Action, ":"); c.DryRun || !strings.HasPrefix(op, "Describe") && op != "GetParameter" {
			t.Errorf("a report-only run called %+v", c)
		}
	}
	// The AMIs of 5 removals (50 GiB each) but the shared snapshot of
	// "shares", and the oldest in eu-west-1.
	if res.GiB != 6*50 || len(res.Regions) != 2 {
		t.Errorf("GiB = %d, regions %+v", res.GiB, res.Regions)
	}
}

// removedByApply are the AMIs of win that --apply removes.
var removedByApply = []string{"ltOld", "terminated", "fastLaunch", "shares", "plain", "west95"}

func TestApplyRemovesExactlyWhatNoRuleKeepsInOrderAndARerunNothing(t *testing.T) {
	w := newWorld(t)
	preProvisioned := w.aws.FastLaunchSnapshots(east, w.amis["fastLaunch"])
	res, err := Run(context.Background(), w.options(t, true))
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, what := range removedByApply {
		want = append(want, w.amis[what])
	}
	var got []string
	for _, a := range res.RemovedAMIs() {
		got = append(got, a.ID)
		if a.Decision != Removed {
			t.Errorf("%s: decision %s", a.ID, a.Decision)
		}
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("removed %v, want %v", got, want)
	}
	for what, id := range w.amis {
		region := east
		if strings.HasPrefix(what, "west") {
			region = west
		}
		gone := w.aws.Deregistered(region, id)
		if gone != slices.Contains(want, id) {
			t.Errorf("%s (%s): deregistered = %v", what, id, gone)
		}
	}
	for _, id := range w.others {
		if w.aws.Deregistered(east, id) {
			t.Errorf("%s was deregistered", id)
		}
	}
	// Snapshots: the removed AMIs' own are deleted; the one "shares"
	// borrows from keepTag stays; the pre-provisioned ones are gone with
	// fast launch.
	for _, what := range removedByApply[:5] {
		if _, ok := w.aws.FindSnapshot(east, w.snaps[what]); ok {
			t.Errorf("snapshot of %s still exists", what)
		}
	}
	if _, ok := w.aws.FindSnapshot(east, w.snaps["keepTag"]); !ok {
		t.Error("the snapshot a kept AMI uses was deleted")
	}
	for _, id := range preProvisioned {
		if _, ok := w.aws.FindSnapshot(east, id); ok {
			t.Errorf("pre-provisioned snapshot %s is left", id)
		}
	}
	if res.GiB != 300 || res.MonthlyUSD != 15 {
		t.Errorf("freed %d GiB, $%.2f a month", res.GiB, res.MonthlyUSD)
	}

	// Order: fast launch off before the AMI goes; snapshots marked before
	// it goes; every deregistration before any snapshot deletion of its
	// region.
	at := map[string]int{}
	for i, c := range changing(w.aws.Calls()) {
		key := c.Action + " " + c.Target
		if _, seen := at[key]; !seen {
			at[key] = i
		}
	}
	fl := w.amis["fastLaunch"]
	if at["ec2:DisableFastLaunch "+fl] >= at["ec2:DeregisterImage "+fl] {
		t.Errorf("fast launch was not disabled before deregistering: %v", at)
	}
	for _, what := range removedByApply[:5] {
		tagged, okT := at["ec2:CreateTags "+w.snaps[what]]
		dereg, okD := at["ec2:DeregisterImage "+w.amis[what]]
		del, okS := at["ec2:DeleteSnapshot "+w.snaps[what]]
		if !okT || !okD || !okS || !(tagged < dereg && dereg < del) {
			t.Errorf("%s: tag %d, deregister %d, delete %d", what, tagged, dereg, del)
		}
	}

	w.aws.ResetCalls()
	again, err := Run(context.Background(), w.options(t, true))
	if err != nil {
		t.Fatal(err)
	}
	if c := changing(w.aws.Calls()); len(c) > 0 || len(again.RemovedAMIs()) > 0 || again.GiB != 0 {
		t.Errorf("a second --apply changed %+v, removed %d AMIs", c, len(again.RemovedAMIs()))
	}
}

func TestInterruptedRunIsCompletedByTheNext(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, true)
	o.Images, o.Regions = []string{"win"}, []string{west}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	// The process dies right after EC2 deregistered the first AMI.
	w.aws.AfterCall(func(c awsfake.Call) {
		if c.Action == "ec2:DeregisterImage" && !c.DryRun {
			stop()
		}
	})
	victim := w.amis["west95"]
	if _, err := Run(ctx, o); err == nil {
		t.Fatal("the interrupted run reported success")
	}
	w.aws.AfterCall(nil)
	if !w.aws.Deregistered(west, victim) {
		t.Fatal("the run stopped before deregistering; the test proves nothing")
	}
	var left []awsfake.Snapshot
	for _, sn := range w.aws.Snapshots(west) {
		if sn.Tags[amitag.PrunedFrom] == victim {
			left = append(left, sn)
		}
	}
	if len(left) != 1 {
		t.Fatalf("snapshots marked for %s: %+v", victim, left)
	}

	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.aws.FindSnapshot(west, left[0].ID); ok {
		t.Errorf("the next run left snapshot %s", left[0].ID)
	}
	var done *Snap
	for _, s := range res.Snapshots {
		if s.ID == left[0].ID {
			done = s
		}
	}
	if done == nil || !done.Earlier || done.Decision != Deleted || done.AMI != victim || res.GiB != 50 {
		t.Errorf("report of the completed snapshot: %+v, %d GiB", done, res.GiB)
	}

	w.aws.ResetCalls()
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if c := changing(w.aws.Calls()); len(c) > 0 {
		t.Errorf("a third run changed %+v", c)
	}
}

func TestBadInputIsRefusedBeforeAnything(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*Options)
		want string
	}{
		{"unknown image", func(o *Options) { o.Images = []string{"windows-2019"} }, "--image windows-2019: winbake.yaml lists no such image (it has win, linux-side)"},
		{"unconfigured region", func(o *Options) { o.Regions = []string{"ap-south-1"} }, "--region ap-south-1: no image pruned here is configured for that region"},
		{"region of another image", func(o *Options) { o.Images, o.Regions = []string{"linux-side"}, []string{west} }, "--region eu-west-1"},
		{"keep 0", func(o *Options) { o.Keep = 0 }, "--keep 0: prune always keeps at least the newest AMI"},
		{"unreadable repository", func(o *Options) { o.Repo = filepath.Join(o.Repo, "missing") }, "refuses to apply when an AMI reference might be missed"},
		{"unreadable path", func(o *Options) { o.Config.Bump.Paths = []string{"terraform", "gone"} }, "refuses to apply"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			o := w.options(t, true)
			tc.edit(&o)
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if n := len(w.aws.Calls()); n > 0 {
				t.Errorf("%d AWS calls before the refusal", n)
			}
		})
	}
}

func TestUnreadableRepositoryStillReportsWithAWarning(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, false)
	o.Repo = filepath.Join(o.Repo, "missing")
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "--apply would refuse") {
		t.Errorf("warnings = %q", res.Warnings)
	}
}

func TestMinAgeInDaysOrDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 30 * 24 * time.Hour, "0d": 0, "720h": 720 * time.Hour, "90m": 90 * time.Minute} {
		if got, err := ParseAge(in); err != nil || got != want {
			t.Errorf("ParseAge(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "30", "-1d", "a month", "1.5d"} {
		if _, err := ParseAge(in); err == nil {
			t.Errorf("ParseAge(%q) accepted", in)
		}
	}
}

func TestMissingPermissionIsNamedBeforeAnythingIsRemoved(t *testing.T) {
	reads := []string{"ec2:DescribeImages", "ec2:DescribeSnapshots", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeInstances",
		"ec2:DescribeFastLaunchImages", "ssm:GetParameter"}
	writes := []string{"ec2:DisableFastLaunch", "ec2:CreateTags", "ec2:DeregisterImage", "ec2:DeleteSnapshot"}
	for _, missing := range append(slices.Clone(reads), writes...) {
		t.Run(missing, func(t *testing.T) {
			w := newWorld(t)
			var allowed []string
			for _, a := range append(slices.Clone(reads), writes...) {
				if a != missing {
					allowed = append(allowed, a)
				}
			}
			w.aws.AllowOnly(allowed)
			images, snapshots := len(w.aws.Images(east)), len(w.aws.Snapshots(east))
			_, err := Run(context.Background(), w.options(t, true))
			if err == nil || !strings.Contains(err.Error(), "AWS denied "+missing) || !strings.Contains(err.Error(), awsclient.PolicyFile) {
				t.Fatalf("err = %v", err)
			}
			// Marking snapshots with tags may precede the refusal; no
			// removal may.
			var removals []awsfake.Call
			for _, c := range changing(w.aws.Calls()) {
				if c.Action != "ec2:CreateTags" {
					removals = append(removals, c)
				}
			}
			if len(removals) > 0 || len(w.aws.Images(east)) != images || len(w.aws.Snapshots(east)) != snapshots {
				t.Errorf("removals before the refusal: %+v", removals)
			}
		})
	}
}

// A run that stops after marking the snapshots but before deregistering
// leaves an AMI like any other: when a rule keeps it by the next run, its
// marked snapshot is neither deleted nor reported as a leftover; when not,
// the next run removes it whole.
func TestRunStoppedBeforeDeregisteringLeavesAnOrdinaryAMI(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, true)
	o.Regions = []string{west}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	w.aws.AfterCall(func(c awsfake.Call) {
		if c.Action == "ec2:CreateTags" && !c.DryRun {
			stop()
		}
	})
	if _, err := Run(ctx, o); err == nil {
		t.Fatal("the interrupted run reported success")
	}
	w.aws.AfterCall(nil)
	victim, snap := w.amis["west95"], w.snaps["west95"]
	if sn, _ := w.aws.FindSnapshot(west, snap); w.aws.Deregistered(west, victim) || sn.Tags[amitag.PrunedFrom] != victim {
		t.Fatalf("the run did not stop between marking and deregistering; the test proves nothing")
	}

	w.aws.TagImage(west, victim, amitag.Keep, "")
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Snapshots {
		t.Errorf("a snapshot of a kept AMI is reported: %+v", s)
	}
	if _, ok := w.aws.FindSnapshot(west, snap); !ok {
		t.Fatal("the kept AMI's snapshot was deleted")
	}

	w.aws.UntagImage(west, victim, amitag.Keep)
	if _, err := Run(context.Background(), o); err != nil || !w.aws.Deregistered(west, victim) {
		t.Fatalf("the next run did not remove %s: %v", victim, err)
	}
	if _, ok := w.aws.FindSnapshot(west, snap); ok {
		t.Error("its snapshot is left")
	}
}

// A snapshot deletion that fails midway (the DryRun passed) is reported,
// the other snapshots are still deleted, and the next run deletes the one
// left, which its tags make recognisable.
func TestFailedSnapshotDeletionIsRetriedByTheNextRun(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, true)
	o.Regions = []string{east}
	w.aws.AddFault(awsfake.Fault{Action: "ec2:DeleteSnapshot", After: 2, Times: 1, Status: 400, Code: "IncorrectState", Message: "The snapshot is being copied"})
	res, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "IncorrectState") {
		t.Fatalf("err = %v", err)
	}
	var failed *Snap
	deleted := 0
	for _, s := range res.Snapshots {
		switch s.Decision {
		case Left:
			if strings.Contains(s.Reason, "IncorrectState") {
				failed = s
			}
		case Deleted:
			deleted++
		}
	}
	if failed == nil || deleted != 4 {
		t.Fatalf("snapshots: %d deleted, failed %+v", deleted, failed)
	}
	again, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.aws.FindSnapshot(east, failed.ID); ok || len(again.Snapshots) != 1 || !again.Snapshots[0].Earlier || again.Snapshots[0].Decision != Deleted {
		t.Errorf("the next run: %+v", again.Snapshots)
	}
}

// The newest N are counted per image and per region.
func TestNewestAreCountedPerImageAndRegion(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, false)
	o.Images = nil
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range res.AMIs {
		if len(a.Reasons) > 0 && strings.HasPrefix(a.Reasons[0], "one of the newest 2 of "+a.Image+" in "+a.Region) {
			count[a.Image+" "+a.Region]++
		}
		if a.Image == "linux-side" && a.Region != east {
			t.Errorf("linux-side is not configured for %s: %+v", a.Region, a)
		}
	}
	want := map[string]int{"win us-east-1": 2, "win eu-west-1": 2, "linux-side us-east-1": 2}
	if fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("newest kept: %v, want %v", count, want)
	}
	if a := find(res, w.others[len(w.others)-1]); a == nil || a.Decision != Remove {
		t.Errorf("the oldest linux-side AMI: %+v", a)
	}
}

// Only AMIs that can launch count among the newest: a failed bake and one
// still being created after the last good AMI must not leave no good AMI.
// States: https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_Image.html
func TestFailedAndPendingBakesDoNotCountAmongTheNewest(t *testing.T) {
	w := newWorld(t)
	now := w.aws.Clock.Now()
	failed := w.aws.AddImage(east, awsfake.Image{Name: "winbake-win-failed", Created: now.Add(-48 * time.Hour), State: "failed", Tags: map[string]string{amitag.Image: "win"}})
	pending := w.aws.AddImage(east, awsfake.Image{Name: "winbake-win-pending", Created: now.Add(-time.Hour), State: "pending", Tags: map[string]string{amitag.Image: "win"}})
	o := w.options(t, false)
	o.Keep, o.MinAge = 1, 0
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if a := find(res, w.amis["newest"]); a.Decision != Keep || !slices.Contains(a.Reasons, "one of the newest 1 of win in us-east-1") {
		t.Errorf("the newest available AMI: %s %v", a.Decision, a.Reasons)
	}
	if a := find(res, pending); a.Decision != Keep || !slices.Equal(a.Reasons, []string{"still being created"}) {
		t.Errorf("the pending AMI: %s %v", a.Decision, a.Reasons)
	}
	if a := find(res, failed); a.Decision != Remove {
		t.Errorf("the failed AMI: %s %v", a.Decision, a.Reasons)
	}
}

// A run stopped midway reports as removed and freed only what it removed:
// the AMIs and snapshots it did not reach are neither in the removed IDs
// (the action's output) nor in the GiB freed.
func TestStoppedRunReportsOnlyWhatItRemoved(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, true)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	w.aws.AfterCall(func(c awsfake.Call) {
		if c.Action == "ec2:DeregisterImage" && !c.DryRun {
			stop()
		}
	})
	res, err := Run(ctx, o)
	w.aws.AfterCall(nil)
	if err == nil {
		t.Fatal("the stopped run reported success")
	}
	for _, a := range res.RemovedAMIs() {
		if !w.aws.Deregistered(a.Region, a.ID) {
			t.Errorf("reported removed (%s), but still registered: %s %s", a.Decision, a.Region, a.ID)
		}
	}
	var gone int64
	for _, s := range res.Snapshots {
		if _, ok := w.aws.FindSnapshot(s.Region, s.ID); !ok {
			gone += int64(s.SizeGiB)
		}
		if s.Decision == Delete {
			t.Errorf("snapshot %s still says %q after an applied run", s.ID, s.Decision)
		}
	}
	if res.GiB != gone {
		t.Errorf("reported %d GiB freed, %d GiB deleted", res.GiB, gone)
	}
}

// EC2 takes at most 200 filter values in one DescribeInstances call (see
// the fake's maxFilterValues): a region with 200 candidates must still be
// decided, and an instance of the last one still keeps it.
func TestManyCandidatesStayWithinEC2sFilterLimit(t *testing.T) {
	w := newWorld(t)
	now := w.aws.Clock.Now()
	var last string
	for i := range 200 {
		last, _ = w.aws.AddBakedAMI(west, "win", now.Add(-time.Duration(400+i)*24*time.Hour), 1)
	}
	w.aws.AddInstance(west, awsfake.Instance{ImageID: last, State: "running"})
	o := w.options(t, false)
	o.Regions = []string{west}
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if a := find(res, last); a == nil || a.Decision != Keep || !strings.HasPrefix(strings.Join(a.Reasons, ";"), "run by instance") {
		t.Errorf("the oldest AMI, which an instance runs: %+v", a)
	}
}

// What takes an AMI up while the run is under way (disabling fast launch
// alone takes minutes) keeps it: the uses are looked at again right before
// each AMI is deregistered.
func TestUseDuringTheRunKeepsTheAMI(t *testing.T) {
	w := newWorld(t)
	w.aws.AfterCall(func(c awsfake.Call) {
		switch {
		case c.Action == "ec2:DisableFastLaunch" && !c.DryRun:
			w.aws.AddLaunchTemplate(east, awsfake.LaunchTemplate{Name: "late", Images: []string{w.amis["fastLaunch"]}})
		case c.Action == "ec2:DeregisterImage" && !c.DryRun && c.Target == w.amis["plain"]:
			w.aws.AddInstance(east, awsfake.Instance{ImageID: w.amis["ltOld"], State: "pending"})
		}
	})
	res, err := Run(context.Background(), w.options(t, true))
	w.aws.AfterCall(nil)
	if err != nil {
		t.Fatal(err)
	}
	for what, why := range map[string]string{"fastLaunch": "used by launch template", "ltOld": "run by instance"} {
		id := w.amis[what]
		a := find(res, id)
		if w.aws.Deregistered(east, id) || a.Decision != Keep || !strings.HasPrefix(strings.Join(a.Reasons, ";"), why) {
			t.Errorf("%s, taken up during the run: deregistered %v, %s %v", what, w.aws.Deregistered(east, id), a.Decision, a.Reasons)
		}
		if _, ok := w.aws.FindSnapshot(east, w.snaps[what]); !ok {
			t.Errorf("%s: its snapshot was deleted", what)
		}
	}
	if !w.aws.Deregistered(east, w.amis["plain"]) {
		t.Error("plain, which nothing took up, was not removed")
	}
}

// An AMI whose deregistration fails stays, and so must its snapshot: the
// deletion mark comes off, so that when someone deregisters the AMI later
// (to keep it restorable in the Recycle Bin, say) the next prune does not
// take its snapshot for a leftover of its own.
func TestAMIThatStaysLosesItsSnapshotsMark(t *testing.T) {
	w := newWorld(t)
	o := w.options(t, true)
	o.Regions = []string{east}
	// The DryRun check passes; the first real deregistration, of the
	// oldest AMI, is refused.
	w.aws.AddFault(awsfake.Fault{Action: "ec2:DeregisterImage", After: 1, Times: 1, Status: 400, Code: "OperationNotPermitted", Message: "Deregistration protection is enabled"})
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "OperationNotPermitted") {
		t.Fatalf("err = %v", err)
	}
	plain, snap := w.amis["plain"], w.snaps["plain"]
	if w.aws.Deregistered(east, plain) {
		t.Fatal("the fault did not hit the oldest AMI; the test proves nothing")
	}
	if sn, _ := w.aws.FindSnapshot(east, snap); sn.Tags[amitag.PrunedFrom] != "" {
		t.Errorf("the snapshot of %s, which stays, is still marked: %v", plain, sn.Tags)
	}
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := clients.EC2(east).DeregisterImage(context.Background(), &ec2.DeregisterImageInput{ImageId: aws.String(plain)}); err != nil {
		t.Fatal(err)
	}
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.aws.FindSnapshot(east, snap); !ok {
		t.Errorf("the next run deleted snapshot %s of %s, which it never deregistered", snap, plain)
	}
}
