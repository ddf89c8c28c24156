//go:build unix

package main

import (
	"os"
	"syscall"
)

// readFile maps the file read-only (tens of megabytes are not copied; the page cache holds them
// already, the link just wrote them); an empty or unmappable file is read instead. whole: every page is
// read (the linked binary: one call instead of a fault per page); else only the pages touched are (a
// package archive, whose export data the replay skips: mapping seed's 563 MB of archives whole cost
// 0.07 s of system time more than faulting in what is read).
func readFile(path string, whole bool) ([]byte, error) {
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
		flags := syscall.MAP_SHARED
		if whole {
			flags |= mapPopulate
		}
		if data, err := syscall.Mmap(int(f.Fd()), 0, int(n), syscall.PROT_READ, flags); err == nil {
			return data, nil
		}
	}
	return os.ReadFile(path)
}
