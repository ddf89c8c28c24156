package main

// PE (windows) and Mach-O (darwin, ios) binaries, read into the same model as ELF: sections named
// as in ELF (.text, .gopclntab, .typelink, .go.buildinfo, .data, .debug_*, ...), a null section at
// index 0, symbols with sizes (COFF and nlist symbols have none: each runs to the next symbol of its
// section), and the file ranges of the headers and of the symbol table outside any section.

import (
	"bytes"
	"debug/macho"
	"debug/pe"
	"encoding/binary"
	"fmt"
	"sort"
	"strings"
)

// openBinary reads an ELF, PE or Mach-O file; an error for anything else.
func openBinary(data []byte) (*elfFile, error) {
	switch {
	case len(data) >= 64 && string(data[:4]) == "\x7fELF":
		return newElf(data)
	case len(data) >= 64 && string(data[:2]) == "MZ":
		return newPE(data)
	case len(data) >= 32 && isMachO(data):
		return newMachO(data)
	}
	return nil, fmt.Errorf("not an ELF, PE or Mach-O file")
}

func isMachO(data []byte) bool {
	m := binary.LittleEndian.Uint32(data)
	return m == macho.Magic32 || m == macho.Magic64 || binary.BigEndian.Uint32(data) == macho.Magic32 ||
		binary.BigEndian.Uint32(data) == macho.Magic64
}

func newPE(data []byte) (*elfFile, error) {
	f, err := pe.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("malformed PE file: %v", err)
	}
	e := &elfFile{data: data, bo: binary.LittleEndian, format: "pe", byName: map[string]*section{}}
	var base int
	switch oh := f.OptionalHeader.(type) {
	case *pe.OptionalHeader64:
		e.is64, e.ptr, base = true, 8, int(oh.ImageBase)
	case *pe.OptionalHeader32:
		e.ptr, base = 4, int(oh.ImageBase)
	default:
		return nil, fmt.Errorf("malformed PE file: no optional header")
	}
	e.imageBase = base
	e.x86 = f.Machine == pe.IMAGE_FILE_MACHINE_AMD64 || f.Machine == pe.IMAGE_FILE_MACHINE_I386
	e.arch = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_I386: "386",
		pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
	lfanew := int(binary.LittleEndian.Uint32(data[0x3c:]))
	table := lfanew + 4 + 20 + int(f.SizeOfOptionalHeader)
	e.headers = [][2]int{{0, table + 40*len(f.Sections)}}
	e.sections = []*section{{}}
	for _, s := range f.Sections {
		sec := &section{name: s.Name, addr: base + int(s.VirtualAddress), offset: int(s.Offset),
			size: int(s.Size), vsize: int(s.VirtualSize)}
		if s.Size == 0 {
			sec.typ = shtNobits
		}
		if s.Characteristics&pe.IMAGE_SCN_MEM_DISCARDABLE == 0 {
			sec.flags = 2 // mapped when the program runs (ELF's SHF_ALLOC)
		}
		e.addSection(sec)
	}
	if f.FileHeader.PointerToSymbolTable != 0 && e.byName[".symtab"] == nil {
		start := int(f.FileHeader.PointerToSymbolTable)
		end := start + 18*int(f.FileHeader.NumberOfSymbols)
		if end+4 <= len(data) {
			end += int(binary.LittleEndian.Uint32(data[end:])) // the string table follows, its size first
		}
		e.symtabRanges = append(e.symtabRanges, [2]int{start, min(end, len(data))})
	}
	var syms []symbol
	symtab, strtab := int(f.FileHeader.PointerToSymbolTable), int(f.FileHeader.PointerToSymbolTable)+18*len(f.COFFSymbols)
	for i := 0; i < len(f.COFFSymbols); i += 1 + int(f.COFFSymbols[i].NumberOfAuxSymbols) {
		s := &f.COFFSymbols[i]
		n := int(s.SectionNumber)
		name, err := s.FullName(f.StringTable)
		if err != nil || n <= 0 || n >= len(e.sections) || name == "" {
			continue
		}
		// the 18-byte record, and the name in the string table when it is longer than 8 bytes
		sym := symbol{name: name, value: e.sections[n].addr + int(s.Value), shndx: n, entry: symtab + 18*i,
			entsize: 18, nameAt: -1}
		if s.Name[0] == 0 && s.Name[1] == 0 && s.Name[2] == 0 && s.Name[3] == 0 {
			sym.nameAt, sym.nameLen = strtab+int(binary.LittleEndian.Uint32(s.Name[4:])), len(name)
		}
		syms = append(syms, sym)
	}
	e.presyms = sized(e, syms)
	e.finish()
	return e, nil
}

func newMachO(data []byte) (*elfFile, error) {
	f, err := macho.NewFile(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("malformed Mach-O file: %v", err)
	}
	e := &elfFile{data: data, bo: f.ByteOrder, format: "macho", byName: map[string]*section{}}
	hdr := 28
	if f.Magic == macho.Magic64 {
		e.is64, e.ptr, hdr = true, 8, 32
	} else {
		e.ptr = 4
	}
	e.x86 = f.Cpu == macho.CpuAmd64 || f.Cpu == macho.Cpu386
	e.arch = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.Cpu386: "386", macho.CpuArm64: "arm64"}[f.Cpu]
	e.headers = [][2]int{{0, hdr + int(f.Cmdsz)}}
	e.sections = []*section{{}}
	for _, s := range f.Sections {
		sec := &section{name: machoName(s.Name), addr: int(s.Addr), offset: int(s.Offset), size: int(s.Size)}
		if t := s.Flags & 0xff; t == 0x1 || t == 0xc || t == 0x12 { // zerofill, GB zerofill, thread-local zerofill
			sec.typ = shtNobits
		}
		if s.Seg != "__DWARF" {
			sec.flags = 2
		}
		e.addSection(sec)
	}
	for _, l := range f.Loads {
		if seg, ok := l.(*macho.Segment); ok && seg.Name == "__LINKEDIT" {
			// symbol and string tables, dyld's tables and the code signature
			e.symtabRanges = append(e.symtabRanges, [2]int{int(seg.Offset), int(seg.Offset + seg.Filesz)})
		}
	}
	var syms []symbol
	if f.Symtab != nil {
		entsize := 12
		if e.is64 {
			entsize = 16
		}
		// debug/macho leaves f.Symtab's command fields empty: LC_SYMTAB is read here
		symoff, stroff := 0, 0
		for pos, k := hdr, 0; k < int(f.Ncmd) && pos+24 <= len(data); k++ {
			cmd, size := f.ByteOrder.Uint32(data[pos:]), int(f.ByteOrder.Uint32(data[pos+4:]))
			if cmd == uint32(macho.LoadCmdSymtab) {
				symoff, stroff = int(f.ByteOrder.Uint32(data[pos+8:])), int(f.ByteOrder.Uint32(data[pos+16:]))
				break
			}
			if size < 8 {
				break
			}
			pos += size
		}
		for i, s := range f.Symtab.Syms {
			n := int(s.Sect)
			if s.Type&0xe0 != 0 || n <= 0 || n >= len(e.sections) || s.Name == "" { // debugger entries, undefined
				continue
			}
			name := s.Name
			switch {
			case strings.HasPrefix(name, "_") && !strings.Contains(name, "."):
				name = name[1:] // the C prefix the linker gives names without a dot (_go:buildid, _type:*)
			case name == "typerel.*":
				name = "go:typerel.*" // written without its go: prefix
			}
			// the nlist record, and its name in the string table (n_strx, its first word; the name
			// there has the C prefix "_" that debug/macho drops)
			sym := symbol{name: name, value: int(s.Value), shndx: n, entry: -1, nameAt: -1}
			if entry := symoff + i*entsize; symoff > 0 && entry+entsize <= len(data) {
				sym.entry, sym.entsize = entry, entsize
				if at := stroff + int(e.bo.Uint32(data[entry:])); stroff > 0 && at < len(data) {
					sym.nameAt, sym.nameLen = at, len(e.cstr(at))
				}
			}
			syms = append(syms, sym)
		}
	}
	e.presyms = sized(e, syms)
	e.finish()
	return e, nil
}

// machoName is the ELF name of a Mach-O section: __gopclntab -> .gopclntab, __go_buildinfo ->
// .go.buildinfo, __zdebug_info -> .zdebug_info, __symbol_stub1 -> .plt.
func machoName(name string) string {
	switch name {
	case "__go_buildinfo", "__go_fipsinfo", "__go_module":
		return "." + strings.ReplaceAll(name[2:], "_", ".")
	case "__symbol_stub1", "__stubs":
		return ".plt"
	}
	return "." + strings.TrimPrefix(name, "__")
}

func (f *elfFile) addSection(s *section) {
	f.sections = append(f.sections, s)
	if s.name != "" {
		f.byName[s.name] = s
	}
}

// finish indexes the allocated sections by address (as newElf does).
func (f *elfFile) finish() {
	for _, s := range f.sections {
		if s.addr != 0 && s.flags&2 != 0 {
			f.alloc = append(f.alloc, s)
		}
	}
	sort.SliceStable(f.alloc, func(i, j int) bool { return f.alloc[i].addr < f.alloc[j].addr })
	for _, s := range f.alloc {
		f.allocStarts = append(f.allocStarts, s.addr)
	}
}

// linkerMarkers are the boundaries the linker defines between its sections and tables.
var linkerMarkers = map[string]bool{}

func init() {
	for _, n := range []string{"text", "etext", "rodata", "erodata", "types", "etypes", "noptrdata", "enoptrdata",
		"data", "edata", "bss", "ebss", "noptrbss", "enoptrbss", "covctrs", "ecovctrs", "end", "epclntab",
		"egcdata", "egcbss"} {
		linkerMarkers["runtime."+n] = true
	}
}

// sized gives each symbol the bytes up to the next symbol address of its section (or the section's end).
func sized(f *elfFile, syms []symbol) []symbol {
	order := make([]int, len(syms))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := syms[order[i]], syms[order[j]]
		if a.shndx != b.shndx {
			return a.shndx < b.shndx
		}
		return a.value < b.value
	})
	for k, i := range order {
		s := &syms[i]
		if linkerMarkers[s.name] {
			continue // a boundary, not a symbol of its own (size 0 in ELF)
		}
		sec := f.sections[s.shndx]
		end := sec.addr + sec.span()
		for _, j := range order[k+1:] {
			if syms[j].shndx != s.shndx {
				break
			}
			if syms[j].value > s.value {
				end = syms[j].value
				break
			}
		}
		if end > s.value {
			s.size = end - s.value
		}
	}
	return syms
}
