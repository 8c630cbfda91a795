package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeInputs(t *testing.T, dir string) []string {
	t.Helper()
	var paths []string
	for _, name := range []string{"winbake", "packer-plugin-winbake"} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("binary "+name), 0o600); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// TestWriteIsReproducible writes each format twice from files with
// different times and modes: the bytes must not change.
func TestWriteIsReproducible(t *testing.T) {
	for _, ext := range []string{".tar.gz", ".zip"} {
		t.Run(ext, func(t *testing.T) {
			a, b := t.TempDir(), t.TempDir()
			pa, pb := writeInputs(t, a), writeInputs(t, b)
			os.Chtimes(pb[0], time.Now(), time.Now().Add(-time.Hour))
			os.Chmod(pb[1], 0o644)
			if err := Write(filepath.Join(a, "out"+ext), pa); err != nil {
				t.Fatal(err)
			}
			time.Sleep(1100 * time.Millisecond) // a second later: a clock in the output would show
			if err := Write(filepath.Join(b, "out"+ext), pb); err != nil {
				t.Fatal(err)
			}
			x, _ := os.ReadFile(filepath.Join(a, "out"+ext))
			y, _ := os.ReadFile(filepath.Join(b, "out"+ext))
			if !bytes.Equal(x, y) {
				t.Fatalf("two writes of the same files differ (%d and %d bytes)", len(x), len(y))
			}
		})
	}
}

type entry struct {
	name, data string
	mode       os.FileMode
	mod        time.Time
}

func TestWriteTarGz(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a.tar.gz")
	if err := Write(out, writeInputs(t, dir)); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if gz.Name != "" || !gz.ModTime.IsZero() {
		t.Errorf("gzip header carries name %q, time %v", gz.Name, gz.ModTime)
	}
	tr := tar.NewReader(gz)
	var got []entry
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s: owner %d/%d %q/%q", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		b, _ := io.ReadAll(tr)
		got = append(got, entry{h.Name, string(b), h.FileInfo().Mode(), h.ModTime})
	}
	checkEntries(t, got)
}

func TestWriteZip(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "a.zip")
	if err := Write(out, writeInputs(t, dir)); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var got []entry
	for _, f := range zr.File {
		rc, _ := f.Open()
		b, _ := io.ReadAll(rc)
		rc.Close()
		got = append(got, entry{f.Name, string(b), f.Mode(), f.Modified})
	}
	checkEntries(t, got)
}

func checkEntries(t *testing.T, got []entry) {
	t.Helper()
	want := []string{"winbake", "packer-plugin-winbake"}
	if len(got) != len(want) {
		t.Fatalf("entries: %+v", got)
	}
	for i, e := range got {
		if e.name != want[i] || e.data != "binary "+want[i] || e.mode != 0o755 || !e.mod.Equal(ModTime) {
			t.Errorf("entry %d: %+v, want %s, mode 0755, time %v", i, e, want[i], ModTime)
		}
	}
}
