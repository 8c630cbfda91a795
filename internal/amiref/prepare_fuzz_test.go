package amiref

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/winbake/winbake/internal/config"
)

// The whole engine, not Rewrite alone: a file read as the scan reads it
// (UTF-8, UTF-16 with or without a BOM), placed, checked for structure and
// written back in its encoding differs from its input only inside the
// replaced AMI tokens, whatever its kind and whether it parses.
func FuzzPrepare(f *testing.F) {
	_ = filepath.WalkDir("testdata/repo", func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, uint8(0))
			}
		}
		return nil
	})
	f.Add([]byte("\xef\xbb\xbf{\r\n \"a\": \"ami-12345678\"}"), uint8(2))
	f.Add(UTF16LEBOM.encode([]byte("image_id = \"ami-0123456789abcdef0\"\r\n")), uint8(1))
	f.Add([]byte("k: [ami-12345678, {ami-0123456789abcdef0: x}]\n"), uint8(3))
	names := []string{"f.txt", "f.tf", "f.json", "f.yaml"}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		name := names[int(kind)%len(names)]
		root := t.TempDir()
		if err := os.WriteFile(filepath.Join(root, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var buf []byte
		file, ok := scanFile(filepath.Join(root, name), name, "", &buf)
		if !ok || file.Skip != "" || len(file.Tokens) == 0 {
			return
		}
		lineage, newAMIs := Lineage{}, map[string]string{}
		for _, tok := range file.Tokens {
			lineage[tok.AMI] = Member{Region: "us-east-1"}
		}
		newAMIs["us-east-1"] = "ami-0fedcba9876543210"
		r := &Result{}
		if err := r.prepareFile(root, file, lineage, map[string]string{}, newAMIs, map[string]bool{"ami-0fedcba9876543210": true}, config.Image{Name: "win"}); err != nil {
			t.Fatal(err)
		}
		out, changed := r.Contents[name]
		if !changed {
			return
		}
		in, _ := file.Encoding.decode(data)
		text, ok := file.Encoding.decode(out)
		if !ok || len(data) >= 2 && (file.Encoding == UTF16LEBOM || file.Encoding == UTF16BEBOM) && !bytes.Equal(out[:2], data[:2]) {
			t.Fatalf("output is not in its input's encoding (%v): % x", file.Encoding, out)
		}
		repl := map[string]string{}
		for _, c := range r.Changes {
			repl[c.Old] = c.New
		}
		checkDiff(t, in, text, repl)
	})
}
