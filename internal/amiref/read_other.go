//go:build !unix

package amiref

import (
	"errors"
	"io"
	"os"
)

// readSmall reads a whole file of up to MaxFileSize bytes into buf (grown
// as needed), and returns its size.
func readSmall(name string, buf *[]byte) ([]byte, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if st.Size() > MaxFileSize || !st.Mode().IsRegular() {
		return nil, st.Size(), nil
	}
	if int64(cap(*buf)) < st.Size() {
		*buf = make([]byte, st.Size())
	}
	n, err := io.ReadFull(f, (*buf)[:st.Size()])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, 0, err
	}
	return (*buf)[:n], st.Size(), nil
}
