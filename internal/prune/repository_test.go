package prune

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// An ID is a reference wherever it is written under bump.paths, also in
// the files bump leaves alone because it cannot rewrite them: UTF-16 text
// (PowerShell 5.1's Out-File writes it), binary files, files over bump's
// size limit, and the file a symlink points to.
func TestReferencesInFilesBumpSkipsKeepTheirAMIs(t *testing.T) {
	w := newWorld(t)
	w.cfg.Bump.Paths = []string{"terraform"}

	// UTF-16LE with a byte order mark.
	u := []byte{0xff, 0xfe}
	for _, r := range utf16.Encode([]rune("# nodes\r\nami = \"" + w.amis["plain"] + "\"\r\n")) {
		u = append(u, byte(r), byte(r>>8))
	}
	write(t, w.repo, "terraform/legacy.tfvars", string(u))
	write(t, w.repo, "terraform/plan.bin", "\x00\x01\x02image\x00"+w.amis["shares"]+"\x00")
	big := bytes.Repeat([]byte("{}\n"), (33<<20)/3)
	write(t, w.repo, "terraform/big.json", string(big)+`{"ami": "`+w.amis["ltOld"]+`"}`+"\n")
	write(t, w.repo, "common/ami.auto.tfvars", "ami = \""+w.amis["terminated"]+"\"\n")
	if err := os.Symlink("../common/ami.auto.tfvars", filepath.Join(w.repo, "terraform/ami.auto.tfvars")); err != nil {
		t.Fatal(err)
	}

	res, err := Run(context.Background(), w.options(t, false))
	if err != nil {
		t.Fatal(err)
	}
	for what, where := range map[string]string{
		"plain":      "terraform/legacy.tfvars:2",
		"shares":     "terraform/plan.bin:1",
		"ltOld":      "terraform/big.json:" + strconv.Itoa(len(big)/3+1),
		"terminated": "terraform/ami.auto.tfvars:1",
		"written":    "terraform/nodes.tf:2",
	} {
		a := find(res, w.amis[what])
		if a.Decision != Keep || !strings.Contains(strings.Join(a.Reasons, "; "), "written in the repository at "+where) {
			t.Errorf("%s: %s %v, want kept as written at %s", what, a.Decision, a.Reasons, where)
		}
	}
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
}

// A file the scan cannot read might name an AMI: apply refuses before any
// change, a report-only run says so. (A symlink loop fails to open even
// for root, which reads files whatever their mode.)
func TestUnreadableFileRefusesApply(t *testing.T) {
	w := newWorld(t)
	if err := os.Symlink("loop.tf", filepath.Join(w.repo, "terraform/loop.tf")); err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), w.options(t, false))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "terraform/loop.tf") || !strings.Contains(res.Warnings[0], "--apply would refuse") {
		t.Errorf("warnings = %q", res.Warnings)
	}
	before := len(w.aws.Calls())
	if _, err := Run(context.Background(), w.options(t, true)); err == nil || !strings.Contains(err.Error(), "terraform/loop.tf") || !strings.Contains(err.Error(), "refuses to apply") {
		t.Fatalf("apply with an unreadable file: %v", err)
	}
	if c := changing(w.aws.Calls()[before:]); len(c) != 0 {
		t.Errorf("apply refused but called %+v", c)
	}
}
