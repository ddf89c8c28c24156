package main

import (
	"encoding/binary"
	"testing"
)

// descriptor writes an abi.Type header (64-bit, little-endian) at offset 0 of a types region, with
// its name at offset 64.
func descriptor(size, ptrbytes uint64) *typeWalker {
	d := make([]byte, 128)
	binary.LittleEndian.PutUint64(d[0:], size)
	binary.LittleEndian.PutUint64(d[8:], ptrbytes)
	d[20], d[21], d[22], d[23] = 0, 8, 8, kindStruct // tflag, align, field align, kind
	binary.LittleEndian.PutUint32(d[40:], 64)        // str: the name's offset in the region
	copy(d[64:], "\x00\x05hello")                    // abi.Name: flags, length, bytes
	e := &elfFile{data: d, is64: true, bo: binary.LittleEndian, ptr: 8}
	return &typeWalker{e: e, data: d, types: 0x1000, etypes: 0x1000 + len(d), p: 8, H: 48, base: 0, hasBase: true}
}

func TestPlausible(t *testing.T) {
	if !descriptor(16, 8).plausible(0) {
		t.Fatal("a sound header was rejected")
	}
	if descriptor(16, 24).plausible(0) {
		t.Fatal("more pointer bytes than bytes was accepted")
	}
	// a word of 2^63 or more is a huge unsigned value, not a negative one
	if descriptor(16, 0xFE00_0000_0000_0000).plausible(0) {
		t.Fatal("pointer bytes >= 2^63 were accepted")
	}
	if descriptor(0xFE00_0000_0000_0000, 8).plausible(0) {
		t.Fatal("a size >= 2^63 was accepted")
	}
}

func TestOwners(t *testing.T) {
	m := newMapper([]string{"gopkg.in/yaml.v3", "net/http", "example.com/a b"}, "example.com/m")
	for name, want := range map[string]owner{
		"gopkg.in/yaml%2ev3.(*parser).parse":   pkgOwner("gopkg.in/yaml.v3"),
		"example.com/a%20b.F":                  pkgOwner("example.com/a b"),
		"main.main":                            pkgOwner("example.com/m"),
		"go:itab.*net/http.response,io.Writer": pkgOwner("net/http"),
		"x_cgo_munmap.cold":                    bucket(bCgo),
		// dynamic-linking mode: local copies of global symbols, the per-package hashes
		"local.net/http.(*Server).Serve":           pkgOwner("net/http"),
		"local.gopkg.in/yaml%2ev3.(*parser).parse": pkgOwner("gopkg.in/yaml.v3"),
		"local.main.main":                          pkgOwner("example.com/m"),
		"local.type:.eq.net/http.Request":          pkgOwner("net/http"),
		"local.moduledata":                         bucket(bTypes),
		"go:link.pkghashbytes.example.com/a b":     pkgOwner("example.com/a b"),
		"go:link.pkghash.main":                     pkgOwner("example.com/m"),
	} {
		if got := m.owner(name); got != want {
			t.Errorf("owner(%q) = %v, want %v", name, got, want)
		}
	}
}
