package amiref

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/awsclient"
	"github.com/winbake/winbake/internal/config"
	"github.com/winbake/winbake/internal/testing/awsfake"
	"github.com/winbake/winbake/internal/testing/testenv"
)

var update = flag.Bool("update", false, "rewrite golden files")

const (
	stockEast  = "ami-0e0e0e0e0e0e0e0e1"
	bakedWest  = "ami-0b0b0b0b0b0b0b0b2"
	linuxEast  = "ami-0a1a1a1a1a1a1a1a1"
	listedEast = "ami-0c0c0c0c0c0c0c0c3"
	newEast    = "ami-0f0f0f0f0f0f0f0f0"
	newWest    = "ami-0f0f0f0f0f0f0f0f9"
)

// seedAWS makes the AMIs of the fixtures exist as AWS would show them.
func seedAWS(t testing.TB) *awsfake.Server {
	s := awsfake.Start(t)
	s.AddEKSAMIWithID("us-east-1", "2022-core", "1.31", stockEast)
	s.AddImage("us-east-1", awsfake.Image{ID: linuxEast, Name: "amazon-eks-node-al2023-x86_64-standard-1.31-v20261015", Owner: "602401143452", OwnerAlias: "amazon"})
	s.AddImage("us-east-1", awsfake.Image{ID: listedEast, Name: "hand-made-windows", Owner: "210987654321"})
	s.AddImage("eu-west-1", awsfake.Image{ID: bakedWest, Name: "winbake-win-1.31-2026-10-16T10-00-00Z", Tags: map[string]string{"winbake:image": "win"}})
	return s
}

func copyTree(t testing.TB, from string) string {
	t.Helper()
	to := t.TempDir()
	err := filepath.WalkDir(from, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Join(to, filepath.Dir(rel)), 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

func testImage() config.Image {
	return config.Image{Name: "win", Kubernetes: "1.31", Windows: "2022-core", Regions: []string{"us-east-1", "eu-west-1"}, AMIs: []string{listedEast}}
}

func prepare(t testing.TB, root string, newAMIs map[string]string) *Result {
	t.Helper()
	return find(t, Request{Root: root, Paths: []string{"."}, NewAMIs: newAMIs})
}

// find runs the engine against the fake AWS through the real SDK, for the
// test image in its regions unless the request names others.
func find(t testing.TB, q Request) *Result {
	t.Helper()
	clients, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	q.EC2 = func(r string) EC2API { return clients.EC2(r) }
	if q.Image.Name == "" {
		q.Image = testImage()
	}
	if q.Regions == nil {
		q.Regions = q.Image.Regions
	}
	r, err := Find(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func describe(r *Result) string {
	var b strings.Builder
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "change  %s:%d:%d  %s  [%s] %s -> %s\n", c.File, c.Line, c.Column, c.Where, c.Region, c.Old, c.New)
	}
	for _, s := range r.Ignored {
		fmt.Fprintf(&b, "ignore  %s:%d  %s  %s: %s\n", s.File, s.Line, s.Where, s.AMI, s.Reason)
	}
	for _, s := range r.Uncovered {
		fmt.Fprintf(&b, "uncover %s:%d  %s  %s: %s\n", s.File, s.Line, s.Where, s.AMI, s.Reason)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "skipped %s  %v: %s\n", s.File, s.AMIs, s.Reason)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note    %s\n", n)
	}
	return b.String()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	testenv.Golden(t, filepath.Join("testdata", name), got, *update)
}

func TestBumpFixtures(t *testing.T) {
	seedAWS(t)
	root := copyTree(t, "testdata/repo")
	r := prepare(t, root, map[string]string{"us-east-1": newEast, "eu-west-1": newWest})
	golden(t, "changes.golden", []byte(describe(r)))
	for name, data := range r.Contents {
		golden(t, filepath.Join("want", name), data)
	}
	if strings.Contains(describe(r), "vendor/mod/values.yaml") {
		t.Error("vendor/mod/values.yaml was scanned")
	}
	// A binary file is never rewritten, but named when it holds a lineage AMI.
	if _, ok := r.Contents["docs/blob.bin"]; ok || !strings.Contains(describe(r), "skipped docs/blob.bin  [ami-0e0e0e0e0e0e0e0e1]: a binary file") {
		t.Errorf("docs/blob.bin rewritten or not named:\n%s", describe(r))
	}
}

func TestRegionWithoutNewAMIIsReported(t *testing.T) {
	seedAWS(t)
	root := copyTree(t, "testdata/repo")
	r := prepare(t, root, map[string]string{"us-east-1": newEast})
	if len(r.Uncovered) == 0 {
		t.Fatal("no uncovered references")
	}
	for _, u := range r.Uncovered {
		if u.AMI != bakedWest || !strings.Contains(u.Reason, "in eu-west-1, where no new AMI was baked") {
			t.Errorf("uncovered %+v", u)
		}
	}
	for _, c := range r.Changes {
		if c.Old == bakedWest {
			t.Errorf("%s was guessed a replacement: %+v", bakedWest, c)
		}
	}
}

func TestRunTwiceIsCurrent(t *testing.T) {
	seedAWS(t)
	root := copyTree(t, "testdata/repo")
	newAMIs := map[string]string{"us-east-1": newEast, "eu-west-1": newWest}
	r := prepare(t, root, newAMIs)
	for name, data := range r.Contents {
		os.WriteFile(filepath.Join(root, name), data, 0o644)
	}
	again := prepare(t, root, newAMIs)
	if len(again.Changes) != 0 || len(again.Current) != len(r.Changes) {
		t.Errorf("second run: %d changes, %d current (want 0 and %d)", len(again.Changes), len(again.Current), len(r.Changes))
	}
}
