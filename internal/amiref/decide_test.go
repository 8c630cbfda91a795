package amiref

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winbake/winbake/internal/testing/awsfake"
)

// writeTree writes files (slash paths) under a new temporary root.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for name, body := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func must(t *testing.T, ok bool, format string, args ...any) {
	t.Helper()
	if !ok {
		t.Errorf(format, args...)
	}
}

// The fake names stock AMIs by Kubernetes version, as EC2 does
// (Windows_Server-2022-English-Core-EKS_Optimized-1.29-<date>): a 1.29
// node group is not moved to a 1.31 image, while AMIs winbake baked for
// the image under 1.29 are, with the minor change told.
func TestStockAMIOfAnotherMinorStaysAndBakedOnesMoveLoudly(t *testing.T) {
	s := awsfake.Start(t)
	stock131 := s.AddEKSAMI("us-east-1", "2022-core", "1.31")
	stock129 := s.AddEKSAMI("us-east-1", "2022-core", "1.29")
	baked129 := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win-1.29-2026-09-01", Tags: map[string]string{"winbake:image": "win", "winbake:kubernetes": "1.29"}})
	baked132 := s.AddImage("us-east-1", awsfake.Image{Name: "winbake-win-1.32-2026-12-01", Tags: map[string]string{"winbake:image": "win", "winbake:kubernetes": "1.32"}})
	root := writeTree(t, map[string]string{"nodes.tf": `
locals {
  current = "` + stock131 + `"
  legacy  = "` + stock129 + `"
  baked   = "` + baked129 + `"
  future  = "` + baked132 + `"
}
`})
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	got := map[string]Change{}
	for _, c := range r.Changes {
		got[c.Old] = c
	}
	must(t, got[stock131].New == newEast, "stock 1.31 AMI not moved: %+v", r.Changes)
	must(t, got[baked129].New == newEast && got[baked129].FromKubernetes == "1.29", "baked 1.29 AMI not moved with its minor: %+v", got[baked129])
	must(t, got[stock131].FromKubernetes == "", "stock AMI of the same minor marked as a minor change")
	left := map[string]string{}
	for _, i := range r.Ignored {
		left[i.AMI] = i.Reason
	}
	must(t, strings.Contains(left[stock129], "for Kubernetes 1.29") && strings.Contains(left[stock129], "another Kubernetes minor"), "stock 1.29 AMI: %q", left[stock129])
	must(t, strings.Contains(left[baked132], "newer than the image's 1.31"), "baked 1.32 AMI: %q", left[baked132])
	out := string(r.Contents["nodes.tf"])
	must(t, strings.Contains(out, stock129) && strings.Contains(out, baked132), "left-alone AMIs rewritten:\n%s", out)
}

// Terraform state is written by Terraform; winbake's own config keeps the
// lineage. Neither is ever rewritten, and both are named.
func TestStateAndConfigAreNeverRewritten(t *testing.T) {
	seedAWS(t)
	state := `{"version": 4, "resources": [{"type": "aws_launch_template", "instances": [{"attributes": {"image_id": "` + stockEast + `"}}]}]}`
	root := writeTree(t, map[string]string{
		"env/prod/terraform.tfstate":                  state,
		"env/prod/terraform.tfstate.backup":           state,
		"terraform.tfstate.d/stage/terraform.tfstate": state,
		"ci/winbake.yaml":                             "images:\n  - name: win\n    amis: [" + listedEast + ", " + stockEast + "]\n",
		"winbake.yaml":                                "images:\n  - name: other\n    amis: [" + stockEast + "]\n",
		"env/prod/main.tf":                            "image_id = \"" + stockEast + "\"\n",
	})
	r := find(t, Request{Root: root, Config: "ci/winbake.yaml", NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Contents) == 1 && r.Contents["env/prod/main.tf"] != nil, "rewritten: %v", keys(r.Contents))
	skipped := map[string]string{}
	for _, f := range r.Skipped {
		skipped[f.File] = f.Reason
	}
	for _, f := range []string{"env/prod/terraform.tfstate", "env/prod/terraform.tfstate.backup", "terraform.tfstate.d/stage/terraform.tfstate"} {
		must(t, strings.HasPrefix(skipped[f], "Terraform state"), "%s: %q", f, skipped[f])
	}
	must(t, strings.Contains(skipped["ci/winbake.yaml"], "winbake's own config, in use"), "config in use: %q", skipped["ci/winbake.yaml"])
	must(t, strings.Contains(skipped["winbake.yaml"], "winbake's own config"), "default config: %q", skipped["winbake.yaml"])
	// What a repository still uses includes what state and config hold.
	amis, err := AMIs(t.Context(), root, nil, nil)
	must(t, err == nil && strings.Contains(strings.Join(amis, " "), listedEast), "AMIs: %v %v", amis, err)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// A file that uses an AMI ID as a key cannot be rewritten without changing
// its structure: it is skipped with the reason, and the rest is bumped.
func TestFileKeyedByAMIIsSkippedAndOthersBumped(t *testing.T) {
	seedAWS(t)
	root := writeTree(t, map[string]string{
		"amis.json": `{"` + stockEast + `": {"os": "windows"}, "default": "` + stockEast + `"}`,
		"amis.yaml": "by_ami:\n  " + stockEast + ": windows\n",
		"locals.tf": "locals {\n  names = { \"" + stockEast + "\" = \"win\" }\n}\n",
		"nodes.tf":  "image_id = \"" + stockEast + "\"\n",
	})
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Contents) == 1 && r.Contents["nodes.tf"] != nil, "rewritten: %v", keys(r.Contents))
	reasons := map[string]string{}
	for _, f := range r.Skipped {
		reasons[f.File] = f.Reason
	}
	must(t, strings.Contains(reasons["amis.json"], "line 1: AMI "+stockEast+" is a key ("+stockEast+")"), "amis.json: %q", reasons["amis.json"])
	must(t, strings.Contains(reasons["amis.yaml"], "line 2: AMI "+stockEast+" is a key (by_ami."+stockEast+")"), "amis.yaml: %q", reasons["amis.yaml"])
	must(t, strings.Contains(reasons["locals.tf"], "is a key"), "locals.tf: %q", reasons["locals.tf"])
	for f, why := range reasons {
		must(t, !strings.Contains(why, "<nil>"), "%s: %q", f, why)
	}
}

// Nothing outside the repository is read or written: a scope path through
// a symlinked directory and a symlink out of the tree are named, not
// followed, and writing refuses a path that resolves outside.
func TestNothingOutsideTheRepository(t *testing.T) {
	seedAWS(t)
	outside := writeTree(t, map[string]string{"shared/nodes.tf": "image_id = \"" + stockEast + "\"\n"})
	root := writeTree(t, map[string]string{"nodes.tf": "image_id = \"" + stockEast + "\"\n"})
	must(t, os.Symlink(outside, filepath.Join(root, "infra")) == nil, "symlink")
	must(t, os.Symlink(filepath.Join(outside, "shared", "nodes.tf"), filepath.Join(root, "linked.tf")) == nil, "symlink")
	r := find(t, Request{Root: root, Paths: []string{".", "infra/shared"}, NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Contents) == 1 && r.Contents["nodes.tf"] != nil, "rewritten: %v", keys(r.Contents))
	reasons := map[string]string{}
	for _, f := range r.Skipped {
		reasons[f.File] = f.Reason
	}
	must(t, strings.Contains(reasons["infra/shared"], "outside the repository"), "scope path: %q", reasons["infra/shared"])
	must(t, strings.Contains(reasons["linked.tf"], "outside the repository"), "symlink: %q", reasons["linked.tf"])
	err := Write(root, map[string][]byte{"infra/shared/nodes.tf": []byte("changed"), "nodes.tf": r.Contents["nodes.tf"]})
	must(t, err != nil && strings.Contains(err.Error(), "infra/shared/nodes.tf"), "writing through a symlink: %v", err)
	b, _ := os.ReadFile(filepath.Join(outside, "shared", "nodes.tf"))
	must(t, strings.Contains(string(b), stockEast), "the outside file changed: %s", b)
}

// UTF-16 files (with or without a BOM) are read and rewritten in their own
// encoding, byte for byte outside the AMI IDs.
func TestUTF16IsRewrittenInItsEncoding(t *testing.T) {
	seedAWS(t)
	text := "# Ünïcode comment\r\nimage_id = \"" + stockEast + "\"\r\n"
	want := strings.Replace(text, stockEast, newEast, 1)
	files := map[string]string{}
	for name, enc := range map[string]Encoding{"le-bom.tf": UTF16LEBOM, "be-bom.tf": UTF16BEBOM, "le.tf": UTF16LE} {
		files[name] = string(enc.encode([]byte(text)))
	}
	root := writeTree(t, files)
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	for name, enc := range map[string]Encoding{"le-bom.tf": UTF16LEBOM, "be-bom.tf": UTF16BEBOM, "le.tf": UTF16LE} {
		must(t, bytes.Equal(r.Contents[name], enc.encode([]byte(want))), "%s: got % x", name, r.Contents[name])
	}
	for _, c := range r.Changes {
		must(t, c.Where == "image_id" && c.Line == 2, "%+v", c)
	}
}

// A file too large to read whole is still searched, and named when it
// holds a lineage AMI. The file is sparse: it takes no disk space.
func TestLargeFileIsNamed(t *testing.T) {
	seedAWS(t)
	root := t.TempDir()
	f, err := os.Create(filepath.Join(root, "dump.json"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.WriteAt([]byte(`"`+stockEast+`"`), MaxFileSize+5)
	must(t, err == nil && f.Close() == nil, "writing: %v", err)
	r := find(t, Request{Root: root, NewAMIs: map[string]string{"us-east-1": newEast}})
	must(t, len(r.Skipped) == 1 && r.Skipped[0].File == "dump.json" && strings.Contains(r.Skipped[0].Reason, "larger than") && r.Skipped[0].AMIs[0] == stockEast, "skipped: %+v", r.Skipped)
}

// Tokens across the seams of the chunks a large file is read in are found
// once each, whole, with their lines.
func TestScanLargeSeams(t *testing.T) {
	var b bytes.Buffer
	var want []Token
	line := 1
	for b.Len() < 9<<20 {
		// Put a token right across each 4 MiB seam, among others.
		if seam := (b.Len()/(4<<20) + 1) * (4 << 20); seam-b.Len() < 40 && seam-b.Len() > 10 {
			b.WriteString(strings.Repeat("x", seam-b.Len()-10) + " ")
		}
		want = append(want, Token{Offset: b.Len(), Line: line, AMI: stockEast})
		b.WriteString(stockEast + " xami-12345678\n")
		line++
	}
	got, err := scanLarge(bytes.NewReader(b.Bytes()))
	must(t, err == nil && len(got) == len(want), "%d tokens, want %d (%v)", len(got), len(want), err)
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("token %d: %+v, want %+v", i, got[i], want[i])
		}
	}
}
