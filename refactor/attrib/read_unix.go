//go:build unix

package main

import (
	"os"
	"syscall"
)

// readFile maps the file read-only (tens of megabytes are not copied; the page cache holds them
// already, the link just wrote them); an empty or unmappable file is read instead.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if n := st.Size(); n > 0 && int64(int(n)) == n {
		if data, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, syscall.MAP_SHARED|mapPopulate); err == nil {
			return data, nil
		}
	}
	return os.ReadFile(path)
}
