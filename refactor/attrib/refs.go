package main

// Data that no symbol owns, by the packages that refer to it.
//
// String literals (the go:string.* carrier), descriptors of types that name no package (the type:*
// carrier's remainder) and file-local data the linker leaves out of .symtab (static temporaries)
// have no owner of their own. A linked binary has no relocations left, but code still loads these
// addresses and data still points at them: every reference found
//
//   - in code: x86 LEA with a RIP-relative operand (amd64; absolute on 386), arm64
//     ADRP+ADD and ADRP+LDR pairs; the referrer is the package that owns the instruction's bytes;
//   - in data: every pointer-aligned word of .rodata, .data (and .data.rel.ro, .rdata) whose value
//     is such an address; the referrer is the package that owns the word. Not the data that holds no
//     pointers: .noptrdata (what the garbage collector need not scan), the bytes of strings,
//     funcdata and the GC bitmaps (pointerFreeCarriers, pointerFreeSymbols). Their words are
//     tables and bit patterns, and some fall inside the string carrier by chance: read as pointers
//     (x/text's norm and bidi tries, a type's GC mask), they cut embedded files into pieces for
//     the packages that hold them;
//   - between type descriptors, the 32-bit offsets the type walk reads (a method's or an interface
//     method's type, ptrToThis); the referrer is the package that owns the referring descriptor;
//
// cuts the unowned stretches of those sections at the referenced addresses: a piece runs from one
// referenced address to the next (or to the end of the stretch) and is split evenly between the
// distinct packages that refer to its start. Bytes before the first referenced address of a
// stretch, and pieces only buckets refer to, keep their bucket (strings, runtime type metadata) or
// stay unattributed. Other architectures' code is not read: their references come from data only.

import (
	"encoding/binary"
	"slices"
	"sort"
)

// dataSections are the sections whose unowned bytes are shared out by reference, and whose words
// are read as pointers (but not those of pointer-free data, see attributor.noPointers).
var dataSections = map[string]bool{".rodata": true, ".noptrdata": true, ".data": true, ".data.rel.ro": true,
	".rdata": true}

// pointerFreeCarriers and pointerFreeSymbols hold no pointers, like the .noptrdata section (the
// linker's SNOPTRDATA): string bytes, funcdata (stack maps, pcdata), the GC bitmaps of types and of
// the data and bss sections.
var pointerFreeCarriers = map[string]bool{"go:string.*": true, "go:func.*": true, "runtime.gcbits.*": true}
var pointerFreeSymbols = map[string]bool{"runtime.gcdata": true, "runtime.gcbss": true}

// region is an unowned stretch: file offsets [s, e) at addresses from addr.
type region struct{ s, e, addr int }

// ref: the address target is referred to by package owner o.
type ref struct{ target, o int }

// ownerAt is the painted owner of the byte at file offset off, or -1.
func (p *painter) ownerAt(off int) int {
	if k := p.indexAt(off); k >= 0 {
		return p.owners[k]
	}
	return -1
}

// indexAt is the index of the painted range holding file offset off, or -1.
func (p *painter) indexAt(off int) int {
	i, j := 0, len(p.ends) // the first range ending after off, by bisection
	for i < j {
		if h := int(uint(i+j) >> 1); p.ends[h] <= off {
			i = h + 1
		} else {
			j = h
		}
	}
	if i < len(p.starts) && p.starts[i] <= off {
		return i
	}
	return -1
}

// gaps are the unpainted parts of [s, e).
func (p *painter) gaps(s, e int) [][2]int {
	var out [][2]int
	i := sort.SearchInts(p.ends, s+1)
	for s < e {
		if i < len(p.starts) && p.starts[i] < e {
			if p.starts[i] > s {
				out = append(out, [2]int{s, p.starts[i]})
			}
			s = max(s, p.ends[i])
			i++
			continue
		}
		out = append(out, [2]int{s, e})
		break
	}
	return out
}

// referencedPieces shares out the unpainted bytes of the data sections by reference (see above).
func (a *attributor) referencedPieces(p *painter) []claim {
	e := a.elf
	var regions []region
	for _, s := range e.sections {
		if !dataSections[s.name] || s.fileSize() == 0 || s.addr == 0 {
			continue
		}
		for _, g := range p.gaps(s.offset, s.offset+s.fileSize()) {
			regions = append(regions, region{g[0], g[1], s.addr + g[0] - s.offset})
		}
	}
	if len(regions) == 0 {
		return nil
	}
	sort.Slice(regions, func(i, j int) bool { return regions[i].addr < regions[j].addr })
	lo, hi := regions[0].addr, regions[len(regions)-1].addr+regions[len(regions)-1].e-regions[len(regions)-1].s
	// one bit per address of [lo, hi): set inside a region (most tested addresses are not)
	inside := make(bitset, (hi-lo)/64+1)
	for _, r := range regions {
		for a, end := r.addr-lo, r.addr-lo+r.e-r.s; a < end; {
			if a&63 == 0 && end-a >= 64 {
				inside[a>>6] = ^uint64(0)
				a += 64
				continue
			}
			inside.add(a)
			a++
		}
	}
	inRegion := func(addr int) bool { return addr >= lo && addr < hi && inside.has(addr-lo) }
	isPkg := make([]bool, len(a.own.items))
	for i, it := range a.own.items {
		isPkg[i] = it.isPkg()
	}
	var refs []ref
	var pending [][2]int // (target, offset of the referring word or instruction) in unowned bytes
	last := 0            // the painted range of the last referrer: references come in runs from one
	add := func(target, at int) {
		if !inRegion(target) {
			return
		}
		o := -1
		if last < len(p.starts) && p.starts[last] <= at && at < p.ends[last] {
			o = p.owners[last]
		} else if k := p.indexAt(at); k >= 0 {
			last, o = k, p.owners[k]
		}
		switch {
		case o < 0:
			pending = append(pending, [2]int{target, at})
		case o < len(isPkg) && isPkg[o]:
			refs = append(refs, ref{target, o})
		}
	}
	if text := e.byName[".text"]; text != nil && text.fileSize() != 0 {
		a.codeRefs(text, add)
	}
	skip := slices.Clone(a.noPointers)
	if s := e.byName[".noptrdata"]; s != nil {
		skip = append(skip, [2]int{s.offset, s.offset + s.fileSize()})
	}
	slices.SortFunc(skip, func(x, y [2]int) int { return x[0] - y[0] })
	for _, s := range e.sections {
		if dataSections[s.name] && s.fileSize() != 0 && s.addr != 0 {
			a.dataRefs(s, lo, hi, skip, add)
		}
	}
	for _, r := range a.typeRefs {
		add(r[0], r[1])
	}
	// what unowned bytes refer to is cut there too, though it is claimed only in the second round: a
	// piece must not run on over it (syncthing's gzipped GUI strings, referred to only by a static
	// temporary in .rodata, went to the package whose string came before them)
	n := len(refs)
	for _, pr := range pending {
		refs = append(refs, ref{pr[0], boundary})
	}
	claims := pieces(regions, refs)
	refs = refs[:n]
	if len(pending) == 0 || len(claims) == 0 {
		return claims
	}
	// unowned data that only other unowned data refers to: a second round, once the first has
	// given the referring bytes their owners
	var q painter
	q.paint(append([]claim(nil), claims...))
	refs = refs[:0]
	for _, pr := range pending {
		if o := q.ownerAt(pr[1]); o >= 0 && isPkg[o] {
			refs = append(refs, ref{pr[0], o})
		}
	}
	var rest []region
	for _, r := range regions {
		for _, g := range q.gaps(r.s, r.e) {
			rest = append(rest, region{g[0], g[1], r.addr + g[0] - r.s})
		}
	}
	return append(claims, pieces(rest, refs)...)
}

// boundary is the owner of a ref that only cuts: its piece is left unclaimed.
const boundary = 1<<24 - 1

// pieces cuts the regions (sorted by address) at the referenced addresses; each piece runs to the
// next referenced address of its region and is split evenly between the packages referring to it
// (none but boundary: the piece is left as it is).
func pieces(regions []region, refs []ref) []claim {
	if len(regions) == 0 || len(refs) == 0 {
		return nil
	}
	// by target, then owner: packed in one word when they fit (a plain sort of integers)
	lo := refs[0].target
	for _, r := range refs {
		lo = min(lo, r.target)
	}
	packed := make([]uint64, len(refs))
	fits := true
	for i, r := range refs {
		if r.target-lo >= 1<<40 || r.o >= 1<<24 || r.o < 0 {
			fits = false
			break
		}
		packed[i] = uint64(r.target-lo)<<24 | uint64(r.o)
	}
	if fits {
		slices.Sort(packed)
		for i, k := range packed {
			refs[i] = ref{lo + int(k>>24), int(k & (1<<24 - 1))}
		}
	} else {
		slices.SortFunc(refs, func(x, y ref) int {
			if x.target != y.target {
				return x.target - y.target
			}
			return x.o - y.o
		})
	}
	var claims []claim
	var owners []int
	for i := 0; i < len(refs); {
		t := refs[i].target
		owners = owners[:0]
		for ; i < len(refs) && refs[i].target == t; i++ {
			if refs[i].o != boundary && (len(owners) == 0 || owners[len(owners)-1] != refs[i].o) {
				owners = append(owners, refs[i].o)
			}
		}
		if len(owners) == 0 {
			continue
		}
		k := sort.Search(len(regions), func(k int) bool { return regions[k].addr > t }) - 1
		if k < 0 || t >= regions[k].addr+regions[k].e-regions[k].s {
			continue
		}
		r := regions[k]
		end := r.addr + r.e - r.s
		if i < len(refs) && refs[i].target < end {
			end = refs[i].target
		}
		s, n := r.s+t-r.addr, end-t
		for j, o := range owners { // evenly, the remainder to the first owners
			part := n / len(owners)
			if j < n%len(owners) {
				part++
			}
			if part > 0 {
				claims = append(claims, claim{s, s + part, o})
			}
			s += part
		}
	}
	return claims
}

// codeRefs reports the addresses the code of sec loads (x86 LEA/MOV, arm64 ADRP pairs) with the
// file offset of the instruction.
func (a *attributor) codeRefs(sec *section, add func(target, at int)) {
	e := a.elf
	code := e.slice(sec.offset, sec.offset+sec.fileSize())
	switch e.arch {
	case "amd64", "386":
		rip := e.arch == "amd64"
		// opcode 8D (LEA), then a ModRM byte with mod=00, r/m=101: a 32-bit displacement,
		// relative to the next instruction on amd64 (REX prefixes come before the opcode and
		// change nothing here; the displacement ends the instruction). Loads (MOV 8B) add
		// about 1 KB on a 39 MB binary for a second pass over the code: not read.
		for _, op := range []byte{0x8d} {
			for i := 0; ; i++ {
				k := indexByteFrom(code, op, i, len(code)-5)
				if k < 0 {
					break
				}
				i = k
				if code[k+1]&0xC7 != 0x05 {
					continue
				}
				disp := int(int32(e.bo.Uint32(code[k+2:])))
				target := disp
				if rip {
					target = sec.addr + k + 6 + disp
				} else {
					target = int(uint32(disp))
				}
				add(target, sec.offset+k)
			}
		}
	case "arm64":
		bo := binary.LittleEndian
		for k := 0; k+8 <= len(code); k += 4 {
			w := bo.Uint32(code[k:])
			if w&0x9F000000 != 0x90000000 { // ADRP
				continue
			}
			rd := w & 0x1f
			imm := int64(((w>>5)&0x7ffff)<<2|(w>>29)&3) << 43 >> 31 // sign-extended, times 4096
			page := int64((sec.addr+k)&^0xfff) + imm
			w2 := bo.Uint32(code[k+4:])
			if (w2>>5)&0x1f != rd {
				continue
			}
			var target int64
			switch {
			case w2&0xFFC00000 == 0x91000000: // ADD Xd, Xn, #imm12
				target = page + int64((w2>>10)&0xfff)
			case w2&0xFFC00000 == 0xF9400000: // LDR Xt, [Xn, #imm12*8]
				target = page + int64((w2>>10)&0xfff)*8
			case w2&0xFFC00000 == 0xB9400000: // LDR Wt, [Xn, #imm12*4]
				target = page + int64((w2>>10)&0xfff)*4
			case w2&0xFFC00000 == 0x39400000: // LDRB Wt, [Xn, #imm12]
				target = page + int64((w2>>10)&0xfff)
			default:
				continue
			}
			add(int(target), sec.offset+k)
		}
	}
}

// dataRefs reports every pointer-aligned word of sec whose value lies in [lo, hi), with its offset;
// not the words inside skip (file ranges sorted by start).
func (a *attributor) dataRefs(sec *section, lo, hi int, skip [][2]int, add func(target, at int)) {
	e := a.elf
	p := e.ptr
	start := (sec.addr + p - 1) / p * p
	body := e.slice(sec.offset+start-sec.addr, sec.offset+sec.fileSize())
	base := sec.offset + start - sec.addr
	i := 0 // the first skipped range that ends after the word
	for k := 0; k+p <= len(body); k += p {
		for i < len(skip) && skip[i][1] <= base+k {
			i++
		}
		if i < len(skip) && skip[i][0] <= base+k {
			k = (skip[i][1]-base+p-1)/p*p - p // the next aligned word at or after its end
			continue
		}
		var v int
		if p == 8 {
			v = int(e.bo.Uint64(body[k:]))
		} else {
			v = int(e.bo.Uint32(body[k:]))
		}
		if v >= lo && v < hi {
			add(v, base+k)
		}
	}
}
