package main

// Runtime type descriptors (internal/abi): walked from the typelinks and itabs, plus a scan of the
// gaps for descriptors no root reaches; each range goes to the package of its type.

import (
	"bytes"
	"fmt"
	"regexp"
	"runtime"
	"sort"
	"strconv"
)

const (
	kindArray  = 17
	kindChan   = 18
	kindFunc   = 19
	kindIface  = 20
	kindMap    = 21
	kindPtr    = 22
	kindSlice  = 23
	kindStruct = 25

	tflagUncommon = 1
)

// typeTier is the types tier painted on its own, with its own owner numbering.
type typeTier struct {
	starts, ends, owners []int
	items                []owner
	notes                []string
	// references from a descriptor that are 32-bit offsets, not pointers (its names, a method's
	// type, an interface method's type, ptrToThis): (target address, file offset of the referring
	// descriptor), for refs.go (pointers between descriptors it finds itself)
	offRefs [][2]int
}

// findModuledata is runtime.firstmoduledata, found by its first two words (pcHeader, funcnametab).
func findModuledata(e *elfFile, pclntabAddr, funcnameOff int) *moduledata {
	p := e.ptr
	needle := make([]byte, 2*p)
	if p == 8 {
		e.bo.PutUint64(needle, uint64(pclntabAddr))
		e.bo.PutUint64(needle[8:], uint64(pclntabAddr+funcnameOff))
	} else {
		e.bo.PutUint32(needle, uint32(pclntabAddr))
		e.bo.PutUint32(needle[4:], uint32(pclntabAddr+funcnameOff))
	}
	for _, name := range []string{".go.module", ".noptrdata", ".data"} {
		s := e.byName[name]
		if s == nil || s.fileSize() == 0 {
			continue
		}
		body := e.slice(s.offset, s.offset+s.fileSize())
		pos := -1
		for from := 0; from <= len(body); {
			i := indexFrom(body, needle, from)
			if i < 0 {
				break
			}
			if i%p == 0 {
				pos = s.offset + i
				break
			}
			from = i + 1
		}
		if pos < 0 {
			continue
		}
		word := func(i int) int { return e.word(pos + i*p) }
		// words: pcHeader, 6 slices (3 words each), findfunctab, minpc, maxpc, text, etext, ...
		return &moduledata{findfunctab: word(19), text: word(22), types: word(37), etypes: word(38), gofunc: word(40)}
	}
	return nil
}

// indexFrom is the index of sub in b at or after from, or -1.
func indexFrom(b, sub []byte, from int) int {
	if from > len(b) {
		return -1
	}
	if j := bytes.Index(b[from:], sub); j >= 0 {
		return from + j
	}
	return -1
}

// typeRanges walks the type descriptors and paints them as one tier.
func typeRanges(e *elfFile, md *moduledata, symaddr map[string]symAddr, main string) typeTier {
	own := newOwners()
	var claims []claim
	var notes []string
	var offRefs [][2]int
	typeClaims(e, md, symaddr, main, own, &claims, &notes, &offRefs)
	var p painter
	p.paint(claims)
	return typeTier{starts: p.starts, ends: p.ends, owners: p.owners, items: own.items, notes: notes, offRefs: offRefs}
}

func typeClaims(e *elfFile, md *moduledata, symaddr map[string]symAddr, main string, own *owners,
	claims *[]claim, notes *[]string, offRefs *[][2]int) {
	types, etypes := symaddr["runtime.types"].value, symaddr["runtime.etypes"].value
	if md != nil {
		types, etypes = md.types, md.etypes
	}
	if types == 0 || etypes <= types {
		*notes = append(*notes, "type descriptors not found: they stay in one bucket or unattributed")
		return
	}
	w := newWalker(e, types, etypes, goMinor(e, symaddr))
	var roots, itabs []int
	if tl := tableSection(e, ".typelink", symaddr["runtime.typelink"]); tl != nil && tl.fileSize() != 0 {
		body := e.slice(tl.offset, tl.offset+tl.size-tl.size%4)
		for k := 0; k+4 <= len(body); k += 4 {
			roots = append(roots, types+int(int32(e.bo.Uint32(body[k:]))))
		}
	}
	if il := tableSection(e, ".itablink", symaddr["runtime.itablink"]); il != nil && il.fileSize() != 0 {
		body := e.slice(il.offset, il.offset+il.size-il.size%e.ptr)
		for k := 0; k+e.ptr <= len(body); k += e.ptr {
			if e.ptr == 8 {
				itabs = append(itabs, int(e.bo.Uint64(body[k:])))
			} else {
				itabs = append(itabs, int(e.bo.Uint32(body[k:])))
			}
		}
	}
	w.walk(roots, itabs)
	w.scanGaps()
	*offRefs = w.offRefs
	pkgIDs := make(map[int]int)
	typesBucket := own.id(bucket(bTypes))
	for _, c := range w.claims {
		o, ok := pkgIDs[c.o]
		if !ok {
			path := w.pkg(c.o, 0)
			switch path {
			case "go.shape":
				path = ""
			case "main":
				path = main
			}
			o = typesBucket
			if path != "" {
				o = own.id(pkgOwner(path))
			}
			pkgIDs[c.o] = o
		}
		if c.e > c.s {
			*claims = append(*claims, claim{c.s, c.e, o})
		}
	}
	if w.errors > 0 {
		*notes = append(*notes, fmt.Sprintf("%d type descriptor(s) could not be read", w.errors))
	}
}

// tableSection is the section of a linker table, or (PE, where tables share .rdata) the range of
// its symbol as a section of its own; nil when neither is there.
func tableSection(e *elfFile, name string, sym symAddr) *section {
	if s := e.byName[name]; s != nil {
		return s
	}
	off, ok := e.fileOff(sym.value)
	if sym.value == 0 || sym.size == 0 || !ok {
		return nil
	}
	return &section{name: name, addr: sym.value, offset: off, size: sym.size}
}

// typeWalker walks runtime type descriptors from roots, recording the file ranges of each; a claim's
// owner is the address of the type it belongs to.
type typeWalker struct {
	e             *elfFile
	data          []byte
	types, etypes int
	p, H          int
	swiss         bool
	base          int
	hasBase       bool
	claims        []claim
	pkgpath       map[int]string
	elem          map[int][]int
	errors        int
	names         bitset // by offset in the region
	seen          bitset // by offset in the region (types outside it: seenOut)
	seenOut       map[int]bool
	offRefs       [][2]int // see typeTier
}

// offRef records that the descriptor at t refers to the type at target by a 32-bit offset.
func (w *typeWalker) offRef(target, t int) {
	if types := w.types; types <= target && target < w.etypes && types <= t && t < w.etypes {
		w.offRefs = append(w.offRefs, [2]int{target, w.base + t - types})
	}
}

// bitset is a set of small non-negative ints.
type bitset []uint64

func (b bitset) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b bitset) add(i int)      { b[i>>6] |= 1 << (i & 63) }

func newWalker(e *elfFile, types, etypes, minor int) *typeWalker {
	w := &typeWalker{e: e, data: e.data, types: types, etypes: etypes, p: e.ptr, H: 4*e.ptr + 16,
		swiss: minor >= 24 || minor == 0, pkgpath: make(map[int]string), elem: make(map[int][]int),
		seenOut: make(map[int]bool)}
	w.base, w.hasBase = e.fileOff(types)
	words := (etypes-types)/64 + 1
	w.names, w.seen = make(bitset, words), make(bitset, words)
	return w
}

// off is the file offset of an address inside the types region.
func (w *typeWalker) off(addr int) (int, bool) {
	if !(w.types <= addr && addr < w.etypes) || !w.hasBase {
		return 0, false
	}
	return w.base + addr - w.types, true
}

// walk visits every type reachable from roots and the itabs' types.
func (w *typeWalker) walk(roots, itabs []int) {
	stack := append([]int(nil), roots...)
	p := w.p
	for _, it := range itabs {
		io, ok := w.e.fileOff(it)
		if !ok {
			continue
		}
		inter, typ := w.e.word(io), w.e.word(io+p)
		nfun := 1
		if ifo, ok := w.off(inter); ok {
			switch n := w.e.word(ifo + w.H + 2*p); {
			case n < 0: // a word of 2^63 or more: far too many (Python's ints never wrap)
				nfun = 1 << 16
			case n > 1:
				nfun = n
			}
		}
		if nfun < 1<<16 {
			w.claims = append(w.claims, claim{io, io + 3*p + nfun*p, typ})
		}
		stack = append(stack, inter, typ)
	}
	for len(stack) > 0 {
		t := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if w.isSeen(t) {
			continue
		}
		w.markSeen(t)
		stack = append(stack, w.safeVisit(t)...)
	}
}

func (w *typeWalker) isSeen(t int) bool {
	if w.types <= t && t < w.etypes {
		return w.seen.has(t - w.types)
	}
	return w.seenOut[t]
}

func (w *typeWalker) markSeen(t int) {
	if w.types <= t && t < w.etypes {
		w.seen.add(t - w.types)
	} else {
		w.seenOut[t] = true
	}
}

// safeVisit is visit, counting a descriptor that cannot be read (its claims so far stay).
func (w *typeWalker) safeVisit(t int) (refs []int) {
	defer func() {
		if r := recover(); r != nil {
			switch r.(type) {
			case readError, visitError, runtime.Error:
				w.errors++
				refs = nil
			default:
				panic(r)
			}
		}
	}()
	return w.visit(t)
}

type visitError string

var pow2 = [256]bool{1: true, 2: true, 4: true, 8: true, 16: true, 32: true, 64: true}

// headerAt: tflag < 64, align and field align powers of two up to 64, kind 1..26 (with the
// direct-iface and GC-program bits allowed, never 0x80), at offsets 20..23 of an abi.Type.
func headerAt(d []byte, i int) bool {
	k := d[i+3]
	return d[i] <= 0x3f && pow2[d[i+1]] && pow2[d[i+2]] && k&0x80 == 0 && k&0x1F >= 1 && k&0x1F <= 26
}

// scanGaps finds descriptors no root reaches: every aligned position left uncovered in the region
// whose header bytes could start a descriptor is tried.
func (w *typeWalker) scanGaps() {
	if !w.hasBase {
		return
	}
	p, H := w.p, w.H
	lo, hi := w.base, w.base+w.etypes-w.types
	type span struct{ s, e int }
	var covered []span
	for _, c := range w.claims {
		if lo <= c.s && c.s < hi {
			covered = append(covered, span{c.s, c.e})
		}
	}
	sort.Slice(covered, func(i, j int) bool {
		if covered[i].s != covered[j].s {
			return covered[i].s < covered[j].s
		}
		return covered[i].e < covered[j].e
	})
	var gaps []span
	cur := lo
	for _, c := range covered {
		if c.s > cur {
			gaps = append(gaps, span{cur, c.s})
		}
		if c.e > cur {
			cur = c.e
		}
	}
	if cur < hi {
		gaps = append(gaps, span{cur, hi})
	}
	d := w.data
	for _, g := range gaps {
		nxt := g.s
		endpos := g.e - H + 24
		if endpos > len(d) {
			endpos = len(d)
		}
		for m := g.s + 20; m+4 <= endpos; m++ {
			if m < 0 || !headerAt(d, m) {
				continue
			}
			pos := m - 20
			if pos < nxt || (pos-lo)%p != 0 {
				continue
			}
			nxt = pos + p
			if addr := w.types + pos - lo; !w.isSeen(addr) && w.plausible(pos) {
				n := len(w.claims)
				w.walk([]int{addr}, nil)
				if len(w.claims) > n {
					nxt = pos + H
				}
			}
		}
	}
}

// plausible: cheap checks that a type descriptor header starts at file offset o.
func (w *typeWalker) plausible(o int) (ok bool) {
	defer func() {
		if r := recover(); r != nil {
			ok = false
		}
	}()
	d, e, p := w.data, w.e, w.p
	kind, align, falign, tflag := d[o+23], d[o+21], d[o+22], d[o+20]
	if k := kind & 0x1F; k < 1 || k > 26 || kind&0x80 != 0 || tflag >= 64 {
		return false
	}
	if !pow2[align] || !pow2[falign] {
		return false
	}
	size, ptrbytes := e.word(o), e.word(o+p)
	strOff, ptrToThis := e.i32(o+4*p+8), e.i32(o+4*p+12)
	span := w.etypes - w.types
	// words of 2^63 or more wrap to negative ints: they are too large, as they are in Python
	if ptrbytes < 0 || size < 0 || ptrbytes > size || size >= 1<<40 || !(0 < strOff && strOff < span) {
		return false
	}
	if ptrToThis != 0 && !(0 < ptrToThis && ptrToThis < span) {
		return false
	}
	no := w.base + strOff
	if d[no] >= 16 {
		return false
	}
	n, pos := uvarint(d, no+1)
	if !(0 < n && n <= 4096) {
		return false
	}
	text := e.slice(pos, pos+n)
	if len(text) == 0 {
		return false
	}
	for _, c := range text {
		if c >= 0x80 || c < 0x20 {
			return false
		}
	}
	return true
}

// name claims an abi.Name (flags, varint length, bytes, optional tag and pkgPath) for type t.
func (w *typeWalker) name(addr, t int) {
	if !(w.types <= addr && addr < w.etypes) || !w.hasBase {
		return
	}
	o := w.base + addr - w.types
	w.offRef(addr, t)
	if w.names.has(addr - w.types) {
		return
	}
	w.names.add(addr - w.types)
	d := w.data
	flags := int(d[o])
	n := int(d[o+1])
	var pos int
	if n < 0x80 {
		pos = o + 2 + n
	} else {
		v, after := uvarint(d, o+1)
		pos = v + after
	}
	if flags&2 != 0 {
		n = int(d[pos])
		if n < 0x80 {
			pos = pos + 1 + n
		} else {
			v, after := uvarint(d, pos)
			pos = v + after
		}
	}
	if flags&4 != 0 {
		pos += 4
	}
	w.claims = append(w.claims, claim{o, pos, t})
}

// visit claims one type descriptor and returns the types it references.
func (w *typeWalker) visit(t int) []int {
	types := w.types
	if !(types <= t && t < w.etypes) || !w.hasBase {
		return nil
	}
	e, d, p, H := w.e, w.data, w.p, w.H
	o := w.base + t - types
	e.check(o, H)
	ptrbytes := e.word(o + p)
	tflag, kind := int(d[o+2*p+4]), int(d[o+2*p+7])
	gcdata := e.word(o + 3*p + 8)
	strOff, ptrToThis := e.i32(o+4*p+8), e.i32(o+4*p+12)
	kind &= 0x1F
	if kind < 1 || kind > 26 {
		panic(visitError("bad kind " + strconv.Itoa(kind)))
	}
	var refs []int
	extra := 0
	var tail []tailRange // arrays the descriptor points to
	switch kind {
	case kindPtr, kindSlice:
		extra = p
		refs = append(refs, e.word(o+H))
	case kindStruct:
		extra = 4 * p
		tail = w.members(o, t, 3*p, "struct fields", &refs, func(f int) (int, int) { return e.word(f), e.word(f + p) })
	case kindArray:
		extra = 3 * p
		refs = append(refs, e.word(o+H), e.word(o+H+p))
	case kindChan:
		extra = 2 * p
		refs = append(refs, e.word(o+H))
	case kindMap:
		extra = 4*p + 8
		if w.swiss {
			extra = 8 * p
		}
		for k := 0; k < 3; k++ {
			refs = append(refs, e.word(o+H+k*p))
		}
	case kindFunc:
		extra = p
	case kindIface:
		extra = 4 * p
		tail = w.members(o, t, 8, "interface methods", &refs, func(m int) (int, int) {
			w.offRef(types+e.i32(m+4), t)
			return types + e.i32(m), types + e.i32(m+4)
		})
	}
	end := o + H + extra
	if tflag&tflagUncommon != 0 {
		pkgOff, mcount, moff := e.i32(end), e.u16(end+4), e.u32(end+8)
		uaddr := t + H + extra
		if pkgOff != 0 {
			if po, ok := w.off(types + pkgOff); ok {
				n, pos := uvarint(d, po+1)
				w.pkgpath[t] = string(e.slice(pos, pos+n))
				w.name(types+pkgOff, t)
			}
		}
		end += 16
		if mcount != 0 && mcount < 1<<16 {
			tail = append(tail, tailRange{uaddr + moff, 16 * mcount})
			if mo, ok := w.off(uaddr + moff); ok {
				body := exact(e, mo, 16*mcount)
				for k := 0; k < len(body); k += 16 {
					w.name(types+e.i32(mo+k), t)
					if mtyp := e.i32(mo + k + 4); mtyp != 0 && mtyp != -1 {
						refs = append(refs, types+mtyp)
						w.offRef(types+mtyp, t)
					}
				}
			}
		}
	}
	if kind == kindFunc {
		nin, nout := e.u16(o+H), e.u16(o+H+2)&0x7FFF
		if n := nin + nout; n != 0 {
			tail = append(tail, tailRange{t + (end - o), n * p})
			for k := 0; k < n; k++ {
				refs = append(refs, e.word(end+k*p))
			}
		}
	}
	w.claims = append(w.claims, claim{o, end, t})
	if ptrbytes != 0 && gcdata != 0 && tflag&16 == 0 {
		if g, ok := e.fileOff(gcdata); ok {
			w.claims = append(w.claims, claim{g, g + (ptrbytes/p+7)/8, t})
		}
	}
	for _, tr := range tail {
		if types <= tr.addr && tr.addr < w.etypes {
			to := w.base + tr.addr - types
			w.claims = append(w.claims, claim{to, to + tr.size, t})
		}
	}
	w.name(types+strOff, t)
	if ptrToThis != 0 {
		refs = append(refs, types+ptrToThis)
		w.offRef(types+ptrToThis, t)
	}
	switch kind {
	case kindArray, kindChan, kindPtr, kindSlice:
		if len(refs) > 0 {
			w.elem[t] = refs[:1:1]
		}
	case kindMap:
		w.elem[t] = []int{refs[1], refs[0]}
	case kindStruct:
		if len(refs) > 0 {
			w.elem[t] = append([]int(nil), refs[:min(4, len(refs))]...)
		}
	}
	out := refs[:0:0]
	for _, r := range refs {
		if types <= r && r < w.etypes {
			out = append(out, r)
		}
	}
	return out
}

type tailRange struct{ addr, size int }

// members reads the array a struct or interface descriptor at file offset o points to (its package
// name, then a pointer and a length): each entry's name is claimed for t and its type appended to
// refs; the array itself is returned as a range to claim.
func (w *typeWalker) members(o, t, stride int, what string, refs *[]int, entry func(off int) (name, typ int)) []tailRange {
	e, p, H := w.e, w.p, w.H
	w.name(e.word(o+H), t)
	ptr, n := e.word(o+H+p), e.word(o+H+2*p)
	if n > 1<<16 || n < 0 {
		panic(visitError("too many " + what))
	}
	off, ok := w.off(ptr)
	if !ok || n == 0 {
		return nil
	}
	exact(e, off, stride*n)
	for k := 0; k < n; k++ {
		name, typ := entry(off + k*stride)
		w.name(name, t)
		*refs = append(*refs, typ)
	}
	return []tailRange{{ptr, stride * n}}
}

// exact is the n bytes at off, which must be in the file in full (Python's iter_unpack over a slice
// cut short by the end of the file fails the same way).
func exact(e *elfFile, off, n int) []byte {
	b := e.slice(off, off+n)
	if len(b) != n {
		panic(readError{off})
	}
	return b
}

// pkg is the import path owning a type: its own pkgPath, else its element's (for *T, []T, map[K]V, ...).
func (w *typeWalker) pkg(t, depth int) string {
	if path := w.pkgpath[t]; path != "" {
		return path
	}
	if depth > 8 {
		return ""
	}
	for _, ref := range w.elem[t] {
		if path := w.pkg(ref, depth+1); path != "" {
			return path
		}
	}
	return ""
}

// uvarint is (value, position after) of an encoding/binary uvarint; it panics past the file's end
// or after five bytes.
func uvarint(d []byte, pos int) (int, int) {
	v, shift := 0, 0
	for {
		if pos < 0 || pos >= len(d) {
			panic(readError{pos})
		}
		b := d[pos]
		pos++
		v |= int(b&0x7F) << shift
		if b < 0x80 {
			return v, pos
		}
		shift += 7
		if shift > 35 {
			panic(visitError("varint too long"))
		}
	}
}

var goVersionRE = regexp.MustCompile(`^go1\.(\d+)`)

// goMinor is the Go minor version from .go.buildinfo (`go1.26.8` -> 26), 0 when unknown.
func goMinor(e *elfFile, symaddr map[string]symAddr) int {
	s := tableSection(e, ".go.buildinfo", symaddr["go:buildinfo"]) // (PE: no section of its own)
	if s == nil || s.fileSize() == 0 {
		return 0
	}
	o := s.offset
	if string(e.slice(o, o+14)) != "\xff Go buildinf:" || e.u8(o+15)&2 == 0 {
		return 0
	}
	n, pos := uvarint(e.data, o+32)
	m := goVersionRE.FindSubmatch(e.slice(pos, pos+n))
	if m == nil {
		return 0
	}
	v, _ := strconv.Atoi(string(m[1]))
	return v
}
