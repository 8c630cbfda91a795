package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// The generated tree is shaped like the monorepos bump meets: ~10 KB files
// of varied size, one in 50 holding an AMI ID, two thirds of those not of
// the lineage, Terraform, YAML and JSON alike.
func TestTreeIsRepresentative(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command("go", "run", ".", "-dir", dir, "-files", "3000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	ami := regexp.MustCompile(`ami-[0-9a-f]{8,17}`)
	var files, bytes, withAMI, lineage, small, large int
	kinds := map[string]int{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		files++
		bytes += len(b)
		kinds[filepath.Ext(p)]++
		if len(b) < 5000 {
			small++
		}
		if len(b) > 15000 {
			large++
		}
		if m := ami.FindString(string(b)); m != "" {
			withAMI++
			if m == "ami-0e0e0e0e0e0e0e0e1" {
				lineage++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	avg := bytes / files
	t.Logf("%d files, %d bytes on average, %d with an AMI (%d of the lineage), kinds %v", files, avg, withAMI, lineage, kinds)
	if avg < 9500 || avg > 12000 {
		t.Errorf("average file size %d, want about 10.8 KB", avg)
	}
	if small == 0 || large == 0 {
		t.Errorf("sizes do not vary: %d under 5 KB, %d over 15 KB", small, large)
	}
	if withAMI != files/50 {
		t.Errorf("%d of %d files hold an AMI, want one in 50", withAMI, files)
	}
	if other := withAMI - lineage; other*100 < withAMI*55 || other*100 > withAMI*80 {
		t.Errorf("%d of %d AMIs are of other lineages, want about two thirds", other, withAMI)
	}
	for _, k := range []string{".tf", ".yaml", ".json"} {
		if kinds[k]*4 < files {
			t.Errorf("only %d %s files of %d", kinds[k], k, files)
		}
	}
}
