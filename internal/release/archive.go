// Package release writes winbake's release archives so that the same
// binaries always give the same bytes: entries in the order given, one
// fixed modification time, no owner names, and compression settings that
// do not depend on the machine (gzip without a name or time in its header).
package release

import (
	"archive/tar"
	"archive/zip"
	"bufio"
	"compress/flate"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ModTime is the modification time of every entry. Zip cannot represent
// times before 1980 (its MS-DOS date field starts there).
var ModTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// Write writes the files at paths into the archive out, each under its base
// name with mode 0755 (they are executables). The format follows out's
// name: .zip, else .tar.gz.
func Write(out string, paths []string) error {
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("creating %s: %w", tmp, err)
	}
	w := bufio.NewWriter(f)
	if strings.HasSuffix(out, ".zip") {
		err = writeZip(w, paths)
	} else {
		err = writeTarGz(w, paths)
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return os.Rename(tmp, out)
}

func writeTarGz(w io.Writer, paths []string) error {
	// A zero gzip.Header: no file name, no time, OS "unknown".
	gz, err := gzip.NewWriterLevel(w, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		hdr := &tar.Header{
			Typeflag: tar.TypeReg,
			Name:     filepath.Base(p),
			Mode:     0o755,
			Size:     int64(len(data)),
			ModTime:  ModTime,
			Format:   tar.FormatUSTAR,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

func writeZip(w io.Writer, paths []string) error {
	zw := zip.NewWriter(w)
	zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(out, flate.BestCompression)
	})
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		hdr := &zip.FileHeader{Name: filepath.Base(p), Method: zip.Deflate, Modified: ModTime}
		hdr.SetMode(0o755)
		fw, err := zw.CreateHeader(hdr)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		if _, err := fw.Write(data); err != nil {
			return err
		}
	}
	return zw.Close()
}
