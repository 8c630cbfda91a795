package prune

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/awsfake"
)

// EC2 answers a Describe call one page at a time and a caller that stops
// at the first page misses the rest (EC2 API Reference, "Pagination").
// Here every page holds two items and what keeps an AMI, or what must be
// removed, sits on a later page of the call that finds it.
func TestWhatIsOnLaterPagesIsRead(t *testing.T) {
	s := awsfake.Start(t)
	s.PageSize = 2
	now := s.Clock.Now()
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	amis, snaps := map[string]string{}, map[string]string{}
	// AMI IDs rise in this order, and the fake lists AMIs by ID: the
	// owner of the shared snapshot comes after the three AMIs to remove.
	for _, b := range []struct {
		what string
		days int
	}{{"old1", 200}, {"old2", 210}, {"sharer", 220}, {"byTemplate", 100}, {"byInstance", 110}, {"second", 50}, {"owner", 40}} {
		amis[b.what], snaps[b.what] = s.AddBakedAMI(east, "win", ago(b.days), 50)
	}
	// (c) sharer's second volume is a snapshot owner, one of the newest
	// two, also uses: DescribeImages by that snapshot lists owner fourth.
	s.AttachSnapshot(east, amis["sharer"], "/dev/xvdb", snaps["owner"], 50)
	// Fast launch on the three to remove: the third is on page two.
	for _, what := range []string{"old1", "old2", "sharer"} {
		s.EnableFastLaunch(east, amis[what], 1)
	}
	// (a) three templates first, so byTemplate's is the fourth version.
	for _, what := range []string{"second", "owner", "second"} {
		s.AddLaunchTemplate(east, awsfake.LaunchTemplate{Images: []string{amis[what]}})
	}
	s.AddLaunchTemplate(east, awsfake.LaunchTemplate{Name: "late", Images: []string{amis["byTemplate"]}})
	// (b) three running instances first, so byInstance's is the fourth.
	for _, what := range []string{"second", "owner", "second"} {
		s.AddInstance(east, awsfake.Instance{ImageID: amis[what]})
	}
	s.AddInstance(east, awsfake.Instance{ImageID: amis["byInstance"]})

	cfg, err := config.Parse("winbake.yaml", []byte("images:\n  - name: win\n    kubernetes: \"1.31\"\n    windows: 2022-core\n    regions: [us-east-1]\n"))
	if err != nil {
		t.Fatal(err)
	}
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	opts := func(apply bool) Options {
		return Options{Config: cfg, Repo: t.TempDir(), Images: []string{"win"}, Keep: DefaultKeep, MinAge: DefaultMinAge, Apply: apply,
			EC2: func(r string) EC2API { return clients.EC2(r) }, SSM: func(r string) SSMAPI { return clients.SSM(r) }, Clock: s.Clock}
	}

	res, err := Run(context.Background(), opts(false))
	if err != nil {
		t.Fatal(err)
	}
	// Candidates on every page are found, and each is decided as it
	// should be.
	want := map[string]string{
		"old1": "", "old2": "", "sharer": "",
		"byTemplate": "launch template", "byInstance": "run by instance",
		"second": "one of the newest 2", "owner": "one of the newest 2",
	}
	for what, reason := range want {
		a := find(res, amis[what])
		switch {
		case a == nil:
			t.Errorf("%s (%s) was not found", what, amis[what])
		case reason == "" && a.Decision != Remove:
			t.Errorf("%s: %s %v, want remove", what, a.Decision, a.Reasons)
		case reason != "" && (a.Decision != Keep || !strings.Contains(strings.Join(a.Reasons, "; "), reason)):
			t.Errorf("%s: %s %v, want keep: %q", what, a.Decision, a.Reasons, reason)
		}
	}
	if len(res.AMIs) != len(want) {
		t.Errorf("%d candidates, want %d", len(res.AMIs), len(want))
	}
	for _, sn := range res.Snapshots {
		if sn.ID == snaps["owner"] && (sn.Decision != Left || !strings.Contains(sn.Reason, amis["owner"])) {
			t.Errorf("shared snapshot: %s %q, want left: also used by %s", sn.Decision, sn.Reason, amis["owner"])
		}
	}
	// The fake did page: each call that finds something was made again
	// with the token of its first page.
	n := map[string]int{}
	for _, c := range s.Calls() {
		n[c.Action]++
	}
	for _, action := range []string{"ec2:DescribeImages", "ec2:DescribeSnapshots", "ec2:DescribeLaunchTemplateVersions", "ec2:DescribeInstances", "ec2:DescribeFastLaunchImages"} {
		if n[action] < 2 {
			t.Errorf("%s called %d times: no later page was asked for", action, n[action])
		}
	}

	if _, err := Run(context.Background(), opts(true)); err != nil {
		t.Fatal(err)
	}
	for what, reason := range want {
		if gone := s.Deregistered(east, amis[what]); gone != (reason == "") {
			t.Errorf("%s: deregistered = %v", what, gone)
		}
	}
	for _, what := range []string{"old1", "old2", "sharer"} {
		if _, ok := s.FindSnapshot(east, snaps[what]); ok {
			t.Errorf("the snapshot of %s is left", what)
		}
		if left := s.FastLaunchSnapshots(east, amis[what]); len(left) > 0 {
			t.Errorf("%s: pre-provisioned snapshots %v are left", what, left)
		}
	}
	if _, ok := s.FindSnapshot(east, snaps["owner"]); !ok {
		t.Error("the snapshot owner uses was deleted")
	}
}
