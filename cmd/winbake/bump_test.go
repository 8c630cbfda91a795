package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An --image the config lacks is named with the images it has, as prune
// does, so a typo is fixed without opening the config.
func TestBumpUnknownImageListsImages(t *testing.T) {
	dir := t.TempDir()
	cfg := "images:\n  - name: win-a\n    kubernetes: \"1.34\"\n    windows: 2022-core\n    regions: [us-east-1]\n" +
		"  - name: win-b\n    kubernetes: \"1.34\"\n    windows: 2019-core\n    regions: [us-east-1]\n"
	if err := os.WriteFile(filepath.Join(dir, "winbake.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := runIn(t, dir, "bump", "--dry-run", "--image", "win-c", "--ami", "us-east-1=ami-0123456789abcdef0")
	want := "--image win-c: winbake.yaml lists no such image (it has win-a, win-b)"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("err = %v, want %q", err, want)
	}
}
