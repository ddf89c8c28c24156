package main

// DWARF by compile unit. Go's linker writes one compile unit per package and stitches every
// per-unit section (.debug_info, .debug_line, .debug_ranges/.debug_rnglists, .debug_loc/
// .debug_loclists, .debug_addr) unit by unit in the same order (cmd/link/internal/ld/dwarf.go,
// dwarfGenerateDebugSyms), so a unit's part of each section runs from the offset its compile unit
// DIE points at to the next unit's:
//
//   - .debug_info: the unit itself (header to end), except the type DIEs: the linker moves every
//     type's DIE into the runtime unit (movetomodule), so a top-level type DIE goes to the package
//     its name names ("net/http.Request", "*net/http.Request", "map[string]net/http.Header"...),
//     or stays in the dwarf bucket when it names none (uint8, []string, func() error);
//   - .debug_line: from DW_AT_stmt_list; .debug_ranges/.debug_rnglists: from DW_AT_ranges (the
//     unit's own list, then its functions'); .debug_addr: from DW_AT_addr_base;
//   - .debug_loc/.debug_loclists: from the smallest location-list offset of the unit's first
//     function that has one (units hold no pointer to their part; their functions' lists follow
//     each other in unit order);
//   - .debug_frame: each FDE goes to the package of the function it describes (its code's owner,
//     mapped by the caller), CIEs stay in the bucket;
//   - .debug_abbrev, section headers and what no unit points at stay in the dwarf bucket.
//
// Compressed sections (ELF SHF_COMPRESSED, Mach-O and PE .zdebug_*): the unit parts are offsets in
// the uncompressed bytes. .debug_info and .debug_frame are decompressed (they are read), and the
// compressed bytes the decompressor consumed while producing each stretch of output (it flushes
// every 32 KiB window) are mapped back, proportionally inside a stretch; the other sections are
// not decompressed: their compressed bytes are shared out in proportion to the uncompressed offsets.

import (
	"bytes"
	"compress/flate"
	"debug/dwarf"
	"debug/elf"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// A DWARF section: its file range, and how offsets in its uncompressed bytes map to file offsets.
type dsec struct {
	name       string // canonical: ".debug_info" also for ".zdebug_info"
	off, end   int    // file range of the whole section
	body       int    // file offset of the (compressed) content, after any compression header
	usize      int    // uncompressed size
	compressed bool
	zstd       bool
	data       []byte // uncompressed bytes, once decoded
	cps        []checkpoint
}

// checkpoint: u uncompressed bytes came out of the compressed bytes before file offset f.
type checkpoint struct{ u, f int }

// fileAt is the file offset of uncompressed offset u (u = usize gives the section's end).
func (s *dsec) fileAt(u int) int {
	switch {
	case !s.compressed:
		return s.off + min(max(u, 0), s.end-s.off)
	case u <= 0:
		return s.body
	case u >= s.usize:
		return s.end
	case len(s.cps) >= 2:
		i := sort.Search(len(s.cps), func(k int) bool { return s.cps[k].u > u }) - 1
		a, b := s.cps[i], s.cps[min(i+1, len(s.cps)-1)]
		if b.u <= a.u {
			return a.f
		}
		return a.f + int(int64(u-a.u)*int64(b.f-a.f)/int64(b.u-a.u))
	}
	return s.body + int(int64(u)*int64(s.end-s.body)/int64(s.usize))
}

// dwarfSections are the file's DWARF sections by canonical name (nil when there are none).
func dwarfSections(e *elfFile) (map[string]*dsec, error) {
	var out map[string]*dsec
	for _, s := range e.sections {
		n := s.fileSize()
		if n == 0 {
			continue
		}
		name := s.name
		z := strings.HasPrefix(name, ".zdebug_")
		if !z && !strings.HasPrefix(name, ".debug_") {
			continue
		}
		if z {
			name = ".debug_" + name[len(".zdebug_"):]
		}
		d := &dsec{name: name, off: s.offset, end: s.offset + n, body: s.offset, usize: n}
		if d.end > len(e.data) || d.off < 0 {
			return nil, fmt.Errorf("DWARF section %s runs past the end of the file", s.name)
		}
		raw := e.data[d.off:d.end]
		switch {
		case e.format == "elf" || e.format == "":
			if s.flags&int(elf.SHF_COMPRESSED) != 0 {
				hdr, typ, size := 12, e.u32(d.off), 0
				if e.is64 {
					hdr, size = 24, e.u64(d.off+8)
				} else {
					size = e.u32(d.off + 4)
				}
				d.compressed, d.body, d.usize, d.zstd = true, d.off+hdr, size, typ == int(elf.COMPRESS_ZSTD)
				if typ != int(elf.COMPRESS_ZLIB) && typ != int(elf.COMPRESS_ZSTD) {
					return nil, fmt.Errorf("DWARF section %s: unknown compression %d", s.name, typ)
				}
			}
		case len(raw) >= 12 && string(raw[:4]) == "ZLIB": // Mach-O, PE: .zdebug_* sections
			d.compressed, d.body, d.usize = true, d.off+12, int(binary.BigEndian.Uint64(raw[4:12]))
		}
		if d.usize < 0 || d.body > d.end {
			return nil, fmt.Errorf("DWARF section %s has a malformed compression header", s.name)
		}
		if out == nil {
			out = make(map[string]*dsec)
		}
		out[name] = d
	}
	return out, nil
}

var errZstd = errors.New("zstd-compressed DWARF cannot be read with the standard library")

// decode fills s.data (and the checkpoints of a compressed section).
func (s *dsec) decode(file []byte) error {
	if s.data != nil {
		return nil
	}
	if !s.compressed {
		s.data = file[s.off:s.end]
		return nil
	}
	if s.zstd {
		return errZstd
	}
	stream := file[s.body:s.end]
	// zlib: CMF (deflate), FLG without a preset dictionary, the deflate stream, adler-32
	if len(stream) < 2 || stream[0]&0x0f != 8 || stream[1]&0x20 != 0 {
		return fmt.Errorf("DWARF section %s is not a zlib stream", s.name)
	}
	in := bytes.NewReader(stream[2:]) // an io.ByteReader: flate reads exactly what it decodes
	fr := flate.NewReader(in)
	out := make([]byte, s.usize)
	s.cps = append(s.cps[:0], checkpoint{0, s.body})
	n := 0
	for n < len(out) {
		k, err := fr.Read(out[n:])
		n += k
		if k > 0 {
			s.cps = append(s.cps, checkpoint{n, s.body + 2 + int(in.Size()) - in.Len()})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("decompressing DWARF section %s: %v", s.name, err)
		}
	}
	if n != len(out) {
		return fmt.Errorf("DWARF section %s: %d bytes decompressed, %d announced", s.name, n, len(out))
	}
	s.cps[len(s.cps)-1].f = s.end // the checksum goes with the last stretch
	s.data = out
	return nil
}

// DWARF forms (debug/dwarf keeps its own unexported).
const (
	formAddr          = 0x01
	formBlock2        = 0x03
	formBlock4        = 0x04
	formData2         = 0x05
	formData4         = 0x06
	formData8         = 0x07
	formString        = 0x08
	formBlock         = 0x09
	formBlock1        = 0x0a
	formData1         = 0x0b
	formFlag          = 0x0c
	formSdata         = 0x0d
	formStrp          = 0x0e
	formUdata         = 0x0f
	formRefAddr       = 0x10
	formRef1          = 0x11
	formRef2          = 0x12
	formRef4          = 0x13
	formRef8          = 0x14
	formRefUdata      = 0x15
	formIndirect      = 0x16
	formSecOffset     = 0x17
	formExprloc       = 0x18
	formFlagPresent   = 0x19
	formStrx          = 0x1a
	formAddrx         = 0x1b
	formRefSup4       = 0x1c
	formStrpSup       = 0x1d
	formData16        = 0x1e
	formLineStrp      = 0x1f
	formRefSig8       = 0x20
	formImplicitConst = 0x21
	formLoclistx      = 0x22
	formRnglistx      = 0x23
	formRefSup8       = 0x24
	formStrx1         = 0x25
	formStrx2         = 0x26
	formStrx3         = 0x27
	formStrx4         = 0x28
	formAddrx1        = 0x29
	formAddrx2        = 0x2a
	formAddrx3        = 0x2b
	formAddrx4        = 0x2c
	formGNUAddrIndex  = 0x1f01
	formGNUStrIndex   = 0x1f02
	formGNURefAlt     = 0x1f20
	formGNUStrpAlt    = 0x1f21
)

type attrSpec struct {
	attr dwarf.Attr
	form int
}

type abbrev struct {
	tag      dwarf.Tag
	children bool
	attrs    []attrSpec
}

// dwarfBytes reads one unit's DIEs; a read past the end panics with readError (the caller recovers).
type dwarfBytes struct {
	b       []byte
	pos     int
	bo      binary.ByteOrder
	offSize int
	addr    int
	version int
}

func (r *dwarfBytes) need(n int) {
	if n < 0 || r.pos+n > len(r.b) {
		panic(readError{r.pos})
	}
}

func (r *dwarfBytes) u8() int    { r.need(1); r.pos++; return int(r.b[r.pos-1]) }
func (r *dwarfBytes) u16() int   { r.need(2); r.pos += 2; return int(r.bo.Uint16(r.b[r.pos-2:])) }
func (r *dwarfBytes) u32() int   { r.need(4); r.pos += 4; return int(r.bo.Uint32(r.b[r.pos-4:])) }
func (r *dwarfBytes) u64() int   { r.need(8); r.pos += 8; return int(r.bo.Uint64(r.b[r.pos-8:])) }
func (r *dwarfBytes) skip(n int) { r.need(n); r.pos += n }

func (r *dwarfBytes) uleb() int {
	v, shift := uint64(0), uint(0)
	for {
		r.need(1)
		c := r.b[r.pos]
		r.pos++
		if shift < 64 {
			v |= uint64(c&0x7f) << shift
		}
		shift += 7
		if c&0x80 == 0 {
			return int(v)
		}
	}
}

func (r *dwarfBytes) sized(n int) int {
	switch n {
	case 1:
		return r.u8()
	case 2:
		return r.u16()
	case 4:
		return r.u32()
	case 8:
		return r.u64()
	}
	panic(readError{r.pos})
}

// value reads one attribute value: a number for the forms that have one, the string's byte range
// for DW_FORM_string (s >= 0), and skips the rest.
func (r *dwarfBytes) value(form int, implicit int) (v int, s, e int) {
	s = -1
	switch form {
	case formAddr:
		v = r.sized(r.addr)
	case formData1, formRef1, formFlag, formStrx1, formAddrx1:
		v = r.u8()
	case formData2, formRef2, formStrx2, formAddrx2:
		v = r.u16()
	case formStrx3, formAddrx3:
		r.need(3)
		v = int(r.b[r.pos]) | int(r.b[r.pos+1])<<8 | int(r.b[r.pos+2])<<16
		if r.bo == binary.BigEndian {
			v = int(r.b[r.pos])<<16 | int(r.b[r.pos+1])<<8 | int(r.b[r.pos+2])
		}
		r.pos += 3
	case formData4, formRef4, formRefSup4, formStrx4, formAddrx4:
		v = r.u32()
	case formData8, formRef8, formRefSig8, formRefSup8:
		v = r.u64()
	case formData16:
		r.skip(16)
	case formSdata, formUdata, formRefUdata, formStrx, formAddrx, formLoclistx, formRnglistx,
		formGNUAddrIndex, formGNUStrIndex:
		v = r.uleb()
	case formString:
		end := bytes.IndexByte(r.b[r.pos:], 0)
		if end < 0 {
			panic(readError{r.pos})
		}
		s, e = r.pos, r.pos+end
		r.pos += end + 1
	case formStrp, formLineStrp, formSecOffset, formStrpSup, formGNURefAlt, formGNUStrpAlt:
		v = r.sized(r.offSize)
	case formRefAddr:
		if r.version <= 2 {
			v = r.sized(r.addr)
		} else {
			v = r.sized(r.offSize)
		}
	case formBlock1:
		r.skip(r.u8())
	case formBlock2:
		r.skip(r.u16())
	case formBlock4:
		r.skip(r.u32())
	case formBlock, formExprloc:
		r.skip(r.uleb())
	case formFlagPresent:
		v = 1
	case formImplicitConst:
		v = implicit
	case formIndirect:
		return r.value(r.uleb(), implicit)
	default:
		panic(visitError(fmt.Sprintf("unknown DWARF form %#x", form)))
	}
	return v, s, e
}

// abbrevTable parses the abbreviation table at off in .debug_abbrev.
func abbrevTable(b []byte, off int) (map[int]*abbrev, []int) {
	r := &dwarfBytes{b: b, pos: off}
	tab := make(map[int]*abbrev)
	var implicit []int // DW_FORM_implicit_const values: such a spec's form is -(index+1)
	for {
		code := r.uleb()
		if code == 0 {
			return tab, implicit
		}
		a := &abbrev{tag: dwarf.Tag(r.uleb()), children: r.u8() != 0}
		for {
			at, form := r.uleb(), r.uleb()
			if at == 0 && form == 0 {
				break
			}
			if form == formImplicitConst {
				implicit = append(implicit, r.uleb()) // (an sleb: only its length matters here)
				form = -len(implicit)
			}
			a.attrs = append(a.attrs, attrSpec{dwarf.Attr(at), form})
		}
		tab[code] = a
	}
}

// A compile unit of .debug_info and what points from it into the other sections (-1: absent).
type cuInfo struct {
	start, end int
	name       string
	c          bool // written by a C compiler (cgo), not by Go
	stmt       int
	ranges     int
	addrBase   int
	loc        int
	types      []typeDIE
}

// A top-level type DIE: [s, e) in .debug_info and its name.
type typeDIE struct {
	s, e int
	name string
}

var typeTags = map[dwarf.Tag]bool{
	dwarf.TagArrayType: true, dwarf.TagClassType: true, dwarf.TagEnumerationType: true,
	dwarf.TagPointerType: true, dwarf.TagReferenceType: true, dwarf.TagStringType: true,
	dwarf.TagStructType: true, dwarf.TagSubroutineType: true, dwarf.TagTypedef: true,
	dwarf.TagUnionType: true, dwarf.TagPtrToMemberType: true, dwarf.TagSetType: true,
	dwarf.TagSubrangeType: true, dwarf.TagBaseType: true, dwarf.TagConstType: true,
	dwarf.TagVolatileType: true, dwarf.TagRestrictType: true, dwarf.TagInterfaceType: true,
	dwarf.TagUnspecifiedType: true,
}

// Languages of C and C++ compile units (DW_LANG_*): cgo's C code.
var cLanguages = map[int]bool{0x01: true, 0x02: true, 0x04: true, 0x0c: true, 0x1a: true, 0x1d: true,
	0x21: true, 0x2c: true}

// compileUnits reads the units of .debug_info: their ranges, names, the offsets they point at in
// the other sections, and the top-level type DIEs of the units named "runtime" (where the linker
// puts them). Other units are read up to their first location list only.
func compileUnits(info, abbrevs []byte, bo binary.ByteOrder) ([]cuInfo, error) {
	var units []cuInfo
	tables := make(map[int]map[int]*abbrev)
	implicits := make(map[int][]int)
	for pos := 0; pos+4 <= len(info); {
		u, next, err := readUnit(info, abbrevs, bo, pos, tables, implicits)
		if err != nil {
			return units, err
		}
		if u.end > u.start {
			units = append(units, u)
		}
		pos = next
	}
	return units, nil
}

func readUnit(info, abbrevs []byte, bo binary.ByteOrder, pos int, tables map[int]map[int]*abbrev,
	implicits map[int][]int) (u cuInfo, next int, err error) {
	defer func() {
		if r := recover(); r != nil {
			switch x := r.(type) {
			case readError:
				err = fmt.Errorf(".debug_info unit at %#x: read outside its bytes at %#x", pos, x.off)
			case visitError:
				err = fmt.Errorf(".debug_info unit at %#x: %s", pos, string(x))
			default:
				panic(r)
			}
		}
	}()
	u = cuInfo{start: pos, stmt: -1, ranges: -1, addrBase: -1, loc: -1}
	r := &dwarfBytes{b: info, pos: pos, bo: bo, offSize: 4}
	length := r.u32()
	if length == 0xffffffff {
		length, r.offSize = r.u64(), 8
	}
	if length < 0 || r.pos+length > len(info) || length > len(info) {
		return u, len(info), fmt.Errorf(".debug_info unit at %#x runs past the section", pos)
	}
	u.end = r.pos + length
	next = u.end
	r.b = info[:u.end]
	r.version = r.u16()
	var abbrevOff int
	switch {
	case r.version >= 5:
		unitType := r.u8()
		r.addr = r.u8()
		abbrevOff = r.sized(r.offSize)
		if unitType != 0x01 && unitType != 0x03 { // DW_UT_compile, DW_UT_partial: a type or skeleton unit
			return u, next, nil
		}
	case r.version >= 2:
		abbrevOff = r.sized(r.offSize)
		r.addr = r.u8()
	default:
		return u, next, fmt.Errorf(".debug_info unit at %#x has DWARF version %d", pos, r.version)
	}
	if r.addr != 4 && r.addr != 8 {
		return u, next, fmt.Errorf(".debug_info unit at %#x has address size %d", pos, r.addr)
	}
	tab, ok := tables[abbrevOff]
	if !ok {
		if abbrevOff < 0 || abbrevOff >= len(abbrevs) {
			return u, next, fmt.Errorf(".debug_info unit at %#x: abbreviations at %#x outside .debug_abbrev", pos, abbrevOff)
		}
		tab, implicits[abbrevOff] = abbrevTable(abbrevs, abbrevOff)
		tables[abbrevOff] = tab
	}
	imp := implicits[abbrevOff]
	depth := 0 // of the next entry: the unit's DIE is at 0, its children at 1
	hostsTypes := false
	curLoc := -1 // the smallest location-list offset in the current top-level DIE
	var top *typeDIE
	// endTop closes the current top-level DIE at offset at; true: nothing more is needed
	endTop := func(at int) bool {
		if top != nil {
			top.e, top = at, nil
		}
		if curLoc >= 0 && u.loc < 0 {
			u.loc = curLoc // the unit's part starts at its first function's smallest list offset
		}
		curLoc = -1
		return u.loc >= 0 && !hostsTypes
	}
	for r.pos < u.end {
		at := r.pos
		code := r.uleb()
		if code == 0 {
			if depth--; depth <= 0 { // the null closing the unit's children
				endTop(at)
				return u, next, nil
			}
			continue
		}
		a := tab[code]
		if a == nil {
			return u, next, fmt.Errorf(".debug_info unit at %#x: unknown abbreviation %d at %#x", pos, code, at)
		}
		if depth == 1 {
			if endTop(at) {
				return u, next, nil
			}
			if hostsTypes && typeTags[a.tag] {
				u.types = append(u.types, typeDIE{s: at})
				top = &u.types[len(u.types)-1]
			}
		}
		for _, spec := range a.attrs {
			form, implicit := spec.form, 0
			if form < 0 {
				implicit, form = imp[-form-1], formImplicitConst
			}
			v, s, e := r.value(form, implicit)
			switch {
			case depth == 0:
				switch spec.attr {
				case dwarf.AttrName:
					if s >= 0 {
						u.name = string(info[s:e])
					}
				case dwarf.AttrLanguage:
					u.c = cLanguages[v]
				case dwarf.AttrStmtList:
					u.stmt = v
				case dwarf.AttrRanges:
					if form != formRnglistx {
						u.ranges = v
					}
				case dwarf.AttrAddrBase:
					u.addrBase = v
				}
			case spec.attr == dwarf.AttrName:
				if top != nil && depth == 1 && s >= 0 {
					top.name = string(info[s:e])
				}
			case spec.attr == dwarf.AttrLocation && (form == formSecOffset ||
				(r.version < 4 && (form == formData4 || form == formData8))):
				if curLoc < 0 || v < curLoc {
					curLoc = v
				}
			}
		}
		if depth == 0 {
			hostsTypes = u.name == "runtime" && !u.c
			if !a.children {
				return u, next, nil
			}
		}
		if a.children {
			depth++
		}
	}
	endTop(r.pos)
	return u, next, nil
}

// frameEntry is one FDE of .debug_frame: its uncompressed range and the address of its function.
type frameEntry struct{ s, e, addr int }

// frameEntries lists the FDEs of a .debug_frame section (CIEs are left out).
func frameEntries(b []byte, bo binary.ByteOrder, ptr int) (out []frameEntry) {
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(readError); !ok {
				panic(r)
			}
		}
	}()
	r := &dwarfBytes{b: b, bo: bo}
	for r.pos+4 <= len(b) {
		start := r.pos
		length, off := r.u32(), 4
		if length == 0xffffffff {
			length, off = r.u64(), 8
		}
		body := r.pos
		if length <= 0 || body+length > len(b) {
			return out
		}
		id := r.sized(off)
		isCIE := (off == 4 && id == 0xffffffff) || (off == 8 && uint64(id) == ^uint64(0))
		if !isCIE {
			out = append(out, frameEntry{start, body + length, r.sized(ptr)})
		}
		r.pos = body + length
	}
	return out
}

// dwarfTier is the DWARF attribution, painted on its own (owners numbered apart), and the FDEs
// whose owner is the function's, which the caller maps.
type dwarfTier struct {
	typeTier
	frames []claimAt // file ranges of FDEs with their function's address
}

type claimAt struct{ s, e, addr int }

// dwarfRanges attributes the DWARF sections of the file; see the comment at the top of this file.
func dwarfRanges(e *elfFile, packages []string, main string) (t dwarfTier) {
	secs, err := dwarfSections(e)
	if err != nil || secs == nil {
		if err != nil {
			t.notes = append(t.notes, fmt.Sprintf("DWARF not attributed to packages: %v", err))
		}
		return t
	}
	info, abbr := secs[".debug_info"], secs[".debug_abbrev"]
	if info == nil || abbr == nil {
		return t
	}
	// .debug_frame is independent of the units: decoded alongside .debug_info
	frameDone := make(chan []claimAt, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				frameDone <- nil
			}
		}()
		frameDone <- dwarfFrames(e, secs[".debug_frame"])
	}()
	defer func() { t.frames = <-frameDone }()
	if err := abbr.decode(e.data); err != nil {
		t.notes = append(t.notes, fmt.Sprintf("DWARF not attributed to packages: %v", err))
		return t
	}
	if err := info.decode(e.data); err != nil {
		t.notes = append(t.notes, fmt.Sprintf("DWARF not attributed to packages: %v", err))
		return t
	}
	units, err := compileUnits(info.data, abbr.data, e.bo)
	if err != nil {
		t.notes = append(t.notes, fmt.Sprintf("DWARF partly attributed (%v): the rest stays in the dwarf bucket", err))
	}
	own := newOwners()
	// type names as the linker writes them (escaped like symbols) and as plain import paths
	m := newMapper(append(append([]string(nil), packages...), main), main)
	for _, p := range packages {
		m.prefixes[p] = p
	}
	unitOwner := make([]int, len(units))
	// Two tiers: the type DIEs first, then whole units and the per-unit parts of the other
	// sections (a tier keeps the first claim of each byte, and a unit starts before its types).
	var types, claims []claim
	for i, u := range units {
		var o owner
		switch {
		case u.c:
			o = bucket(bCgo)
		case u.name == "main":
			o = pkgOwner(main)
		case u.name == "":
			o = bucket(bDWARF)
		default:
			o = pkgOwner(u.name)
		}
		unitOwner[i] = own.id(o)
		for _, td := range u.types {
			to := m.typeOwner(td.name, bDWARF)
			if !to.isPkg() {
				to = bucket(bDWARF)
			}
			types = append(types, claim{info.fileAt(td.s), info.fileAt(td.e), own.id(to)})
		}
		claims = append(claims, claim{info.fileAt(u.start), info.fileAt(u.end), unitOwner[i]})
	}
	// per-unit parts of the other sections, from the offsets the units point at
	split := func(sec *dsec, at func(u cuInfo) int) {
		if sec == nil {
			return
		}
		type start struct{ off, o int }
		var starts []start
		for i, u := range units {
			if off := at(u); off >= 0 && off < sec.usize {
				starts = append(starts, start{off, unitOwner[i]})
			}
		}
		sort.SliceStable(starts, func(i, j int) bool { return starts[i].off < starts[j].off })
		for k, s := range starts {
			end := sec.usize
			if k+1 < len(starts) {
				end = starts[k+1].off
			}
			claims = append(claims, claim{sec.fileAt(s.off), sec.fileAt(end), s.o})
		}
	}
	split(secs[".debug_line"], func(u cuInfo) int { return u.stmt })
	split(secs[".debug_rnglists"], func(u cuInfo) int { return u.ranges })
	split(secs[".debug_ranges"], func(u cuInfo) int { return u.ranges })
	split(secs[".debug_addr"], func(u cuInfo) int { return u.addrBase })
	split(secs[".debug_loclists"], func(u cuInfo) int { return u.loc })
	split(secs[".debug_loc"], func(u cuInfo) int { return u.loc })
	var p painter
	p.paint(types)
	p.paint(claims)
	t.typeTier = typeTier{starts: p.starts, ends: p.ends, owners: p.owners, items: own.items, notes: t.notes}
	return t
}

// dwarfFrames reads .debug_frame: the file range of each FDE and its function's address.
func dwarfFrames(e *elfFile, sec *dsec) []claimAt {
	if sec == nil || sec.decode(e.data) != nil {
		return nil
	}
	var out []claimAt
	for _, f := range frameEntries(sec.data, e.bo, e.ptr) {
		out = append(out, claimAt{sec.fileAt(f.s), sec.fileAt(f.e), f.addr})
	}
	return out
}
