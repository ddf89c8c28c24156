package main

// ELF reading: the parts attribution needs, over one byte slice.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"sort"
)

const (
	shtNobits  = 8
	sttSection = 3
	sttFile    = 4
)

type section struct {
	name                      string
	typ                       uint32
	addr, offset, size, flags int
	link                      int
	vsize                     int // bytes in memory when they differ from size (PE); 0: size
}

// span is the section's extent in memory.
func (s *section) span() int {
	if s.vsize > 0 {
		return s.vsize
	}
	return s.size
}

// fileSize is the bytes the section occupies in the file (0 for NOBITS).
func (s *section) fileSize() int {
	if s.typ == shtNobits {
		return 0
	}
	return s.size
}

type symbol struct {
	name               string
	value, size, shndx int
	// file offsets of the symbol's entry in the symbol table (entsize bytes) and of its name
	// (nameLen bytes and a NUL) in the string table; -1 when there is none (a PE name of at
	// most 8 bytes is inside its entry)
	entry, entsize, nameAt, nameLen int
}

type elfFile struct {
	data                     []byte
	is64                     bool
	bo                       binary.ByteOrder
	ptr                      int
	phoff, shoff             int
	ehsize, phentsize, phnum int
	shentsize, shnum         int
	sections                 []*section
	byName                   map[string]*section
	alloc                    []*section
	allocStarts              []int
	format                   string   // "elf" (the zero value), "pe", "macho"
	x86                      bool     // PE, Mach-O: code padded with int3
	arch                     string   // "amd64", "386", "arm64", or "" for the others
	imageBase                int      // PE: the address relative virtual addresses count from
	headers                  [][2]int // PE, Mach-O: file ranges of the headers and load commands
	symtabRanges             [][2]int // PE, Mach-O: the symbol table where no section holds it
	presyms                  []symbol // PE, Mach-O: the symbols, read with the file
}

// readError is a read outside the file: the caller decides whether that is fatal.
type readError struct{ off int }

func (e readError) Error() string { return fmt.Sprintf("read outside the file at offset %d", e.off) }

func (f *elfFile) check(off, n int) {
	if off < 0 || n < 0 || off+n > len(f.data) {
		panic(readError{off})
	}
}

func (f *elfFile) u8(off int) int  { f.check(off, 1); return int(f.data[off]) }
func (f *elfFile) u16(off int) int { f.check(off, 2); return int(f.bo.Uint16(f.data[off:])) }
func (f *elfFile) u32(off int) int { f.check(off, 4); return int(f.bo.Uint32(f.data[off:])) }
func (f *elfFile) i32(off int) int { f.check(off, 4); return int(int32(f.bo.Uint32(f.data[off:]))) }
func (f *elfFile) u64(off int) int { f.check(off, 8); return int(f.bo.Uint64(f.data[off:])) }

// word is a pointer-sized word at a file offset.
func (f *elfFile) word(off int) int {
	if f.is64 {
		return f.u64(off)
	}
	return f.u32(off)
}

// slice is data[a:b] clamped to the file, as Python slices are.
func (f *elfFile) slice(a, b int) []byte {
	n := len(f.data)
	if a < 0 {
		a = 0
	}
	if b > n {
		b = n
	}
	if a > n || b <= a {
		return nil
	}
	return f.data[a:b]
}

func newElf(data []byte) (f *elfFile, err error) {
	defer func() {
		if r := recover(); r != nil {
			if re, ok := r.(readError); ok {
				f, err = nil, re
				return
			}
			panic(r)
		}
	}()
	f = &elfFile{data: data, is64: data[4] == 2, bo: binary.LittleEndian}
	if data[5] != 1 {
		f.bo = binary.BigEndian
	}
	if f.is64 {
		f.phoff, f.shoff = f.u64(32), f.u64(40)
		f.ehsize, f.phentsize, f.phnum = f.u16(52), f.u16(54), f.u16(56)
		f.shentsize, f.shnum = f.u16(58), f.u16(60)
		f.ptr = 8
	} else {
		f.phoff, f.shoff = f.u32(28), f.u32(32)
		f.ehsize, f.phentsize, f.phnum = f.u16(40), f.u16(42), f.u16(44)
		f.shentsize, f.shnum = f.u16(46), f.u16(48)
		f.ptr = 4
	}
	shstrndx := f.u16(map[bool]int{true: 62, false: 50}[f.is64])
	type raw struct{ name, typ, flags, addr, offset, size, link int }
	raws := make([]raw, f.shnum)
	for i := range raws {
		off := f.shoff + i*f.shentsize
		if f.is64 {
			raws[i] = raw{f.u32(off), f.u32(off + 4), f.u64(off + 8), f.u64(off + 16), f.u64(off + 24), f.u64(off + 32), f.u32(off + 40)}
		} else {
			raws[i] = raw{f.u32(off), f.u32(off + 4), f.u32(off + 8), f.u32(off + 12), f.u32(off + 16), f.u32(off + 20), f.u32(off + 24)}
		}
	}
	strtab := -1
	if 0 < shstrndx && shstrndx < len(raws) {
		strtab = raws[shstrndx].offset
	}
	f.byName = make(map[string]*section)
	for _, r := range raws {
		name := ""
		if strtab >= 0 {
			name = f.cstr(strtab + r.name)
		}
		f.addSection(&section{name: name, typ: uint32(r.typ), addr: r.addr, offset: r.offset, size: r.size,
			flags: r.flags, link: r.link})
	}
	f.arch = elfArch[f.u16(18)]
	f.finish()
	return f, nil
}

// cstr is the NUL-terminated string at a file offset.
func (f *elfFile) cstr(off int) string {
	if off < 0 || off > len(f.data) {
		return ""
	}
	end := indexByteFrom(f.data, 0, off, len(f.data))
	if end < 0 {
		end = len(f.data)
	}
	return string(f.data[off:end])
}

// indexByteFrom is bytes.find(c, start, end) over data: the absolute index, or -1.
func indexByteFrom(data []byte, c byte, start, end int) int {
	if end > len(data) {
		end = len(data)
	}
	if start < 0 {
		start = 0
	}
	if start >= end {
		return -1
	}
	if i := bytes.IndexByte(data[start:end], c); i >= 0 {
		return start + i
	}
	return -1
}

// sectionAt is the allocated section containing virtual address addr, or nil.
func (f *elfFile) sectionAt(addr int) *section {
	i := sort.Search(len(f.allocStarts), func(k int) bool { return f.allocStarts[k] > addr }) - 1
	if i >= 0 {
		if s := f.alloc[i]; addr < s.addr+s.span() {
			return s
		}
	}
	return nil
}

// fileOff is the file offset of a virtual address in a section with file bytes.
func (f *elfFile) fileOff(addr int) (int, bool) {
	s := f.sectionAt(addr)
	if s == nil || s.typ == shtNobits || addr-s.addr >= s.size { // (PE: past the bytes in the file)
		return 0, false
	}
	return s.offset + addr - s.addr, true
}

// symbols are the .symtab symbols but section and file symbols and unnamed ones; nil without .symtab.
func (f *elfFile) symbols() []symbol {
	if f.format != "" && f.format != "elf" {
		return f.presyms
	}
	return f.symbolTable(".symtab", false)
}

// dynamicSymbols are the .dynsym symbols, each with its index in the table (in index).
func (f *elfFile) dynamicSymbols() []symbol {
	if f.format != "" && f.format != "elf" {
		return nil
	}
	return f.symbolTable(".dynsym", true)
}

// symbolTable reads an ELF symbol table; withIndex: symbol i of the table is at position i of the
// result (the null symbol and section symbols included).
func (f *elfFile) symbolTable(name string, withIndex bool) []symbol {
	sec := f.byName[name]
	if sec == nil || sec.typ == shtNobits || !(0 < sec.link && sec.link < len(f.sections)) {
		return nil
	}
	base := f.sections[sec.link].offset
	entsize := 16
	if f.is64 {
		entsize = 24
	}
	body := f.slice(sec.offset, sec.offset+sec.size-sec.size%entsize)
	body = body[:len(body)-len(body)%entsize]
	out := make([]symbol, 0, len(body)/entsize)
	for k := 0; k < len(body); k += entsize {
		var nameOff, value, size, info, shndx int
		r := body[k:]
		if f.is64 {
			nameOff, info, shndx = int(f.bo.Uint32(r)), int(r[4]), int(f.bo.Uint16(r[6:]))
			value, size = int(f.bo.Uint64(r[8:])), int(f.bo.Uint64(r[16:]))
		} else {
			nameOff, value, size = int(f.bo.Uint32(r)), int(f.bo.Uint32(r[4:])), int(f.bo.Uint32(r[8:]))
			info, shndx = int(r[12]), int(f.bo.Uint16(r[14:]))
		}
		typ := info & 0xF
		if typ == sttSection || typ == sttFile || nameOff == 0 {
			if withIndex {
				out = append(out, symbol{entry: -1, nameAt: -1})
			}
			continue
		}
		name := f.cstr(base + nameOff)
		out = append(out, symbol{name: name, value: value, size: size, shndx: shndx,
			entry: sec.offset + k, entsize: entsize, nameAt: base + nameOff, nameLen: len(name)})
	}
	return out
}

// machineX86: x86 ELF files pad code with int3.
func (f *elfFile) machineX86() bool {
	if f.format != "" && f.format != "elf" {
		return f.x86
	}
	m := f.u16(18)
	return m == 3 || m == 62
}

// elfArch names the machines whose code gotrim reads for references (e_machine).
var elfArch = map[int]string{62: "amd64", 3: "386", 183: "arm64"}
