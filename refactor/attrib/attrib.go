package main

// Attribution: every claim is a file-offset range with an owner; tiers are painted in order of
// precedence and a byte goes to the first tier that claims it.

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Paint tiers: package symbols (and the ELF headers), then the per-function pclntab pieces, then type
// descriptors (painted on their own, see typeRanges), then carriers and shared symbols, then whole
// known sections.
const (
	tSymbols = iota
	tPCLN
	tShared
	tCarriers // the string and type carriers: what references leave of them (see refs.go)
	tSections
)

const padMax = 256 // an uncovered run up to this size made of one filler byte is alignment padding

var pclnMagics = map[int]bool{0xFFFFFFF1: true, 0xFFFFFFF0: true}

var sectionBuckets = map[string]string{
	".symtab": bSymtab, ".strtab": bSymtab, ".shstrtab": bHeaders, ".go.buildinfo": bBuildinfo,
	".go.fipsinfo": bBuildinfo, ".gopclntab": bPCLN, ".typelink": bTypes, ".itablink": bTypes,
	".go.module": bTypes, ".interp": bDynamic, ".plt": bDynamic, ".got": bDynamic, ".got.plt": bDynamic,
	".dynamic": bDynamic, ".dynsym": bDynamic, ".dynstr": bDynamic, ".hash": bDynamic, ".gnu.hash": bDynamic,
	".gnu.version": bDynamic, ".gnu.version_r": bDynamic, ".eh_frame": bCgo, ".eh_frame_hdr": bCgo,
	".init": bCgo, ".fini": bCgo, ".init_array": bCgo, ".fini_array": bCgo, ".ctors": bCgo, ".dtors": bCgo,
	".tdata": bCgo,
	// PE: imports, base relocations, and the unwind tables of every function
	".idata": bDynamic, ".reloc": bDynamic, ".pdata": bPCLN, ".xdata": bPCLN,
}

var funcdataSuffixes = []string{".arginfo0", ".arginfo1", ".argliveinfo", ".stkobj", ".opendefer", ".wrapinfo"}

type claim struct{ s, e, o int }

func sortClaims(c []claim) {
	slices.SortFunc(c, func(a, b claim) int {
		if a.s != b.s {
			return cmp.Compare(a.s, b.s)
		}
		if a.e != b.e {
			return cmp.Compare(a.e, b.e)
		}
		return cmp.Compare(a.o, b.o)
	})
}

// owners interns owners as small ints, in order of first use.
type owners struct {
	ids   map[owner]int
	items []owner
}

func newOwners() *owners { return &owners{ids: make(map[owner]int)} }

func (w *owners) id(o owner) int {
	i, ok := w.ids[o]
	if !ok {
		i = len(w.items)
		w.ids[o] = i
		w.items = append(w.items, o)
	}
	return i
}

// painter holds disjoint, sorted file ranges with owners; a tier only fills what earlier tiers left.
type painter struct{ starts, ends, owners []int }

// paint adds one tier of claims; within a tier the first claim (in sorted order) wins.
func (p *painter) paint(claims []claim) {
	sortClaims(claims)
	if len(p.starts) == 0 {
		p.paintEmpty(claims)
		return
	}
	var tier painter
	tier.paintEmpty(claims)
	p.paintUnder(tier.starts, tier.ends, tier.owners)
}

// paintEmpty paints into an empty painter: each sorted claim clipped to what the earlier ones left,
// adjacent ranges of one owner merged.
func (p *painter) paintEmpty(claims []claim) {
	cursor, last := -1, -1
	for _, c := range claims {
		s, e, o := c.s, c.e, c.o
		if s < cursor {
			s = cursor
		}
		if s >= e {
			continue
		}
		if s == cursor && o == last {
			p.ends[len(p.ends)-1] = e
		} else {
			p.starts = append(p.starts, s)
			p.ends = append(p.ends, e)
			p.owners = append(p.owners, o)
			last = o
		}
		cursor = e
	}
}

// paintUnder fills the unpainted bytes with a tier already resolved on its own (sorted, disjoint).
func (p *painter) paintUnder(ts, te, to []int) {
	starts, ends := p.starts, p.ends
	n := len(starts)
	var add []claim
	for k := range ts {
		s, e, o := ts[k], te[k], to[k]
		i := sort.SearchInts(ends, s+1) // bisect_right(ends, s)
		for s < e {
			if i < n && starts[i] < e {
				if starts[i] > s {
					add = append(add, claim{s, starts[i], o})
				}
				if ends[i] > s {
					s = ends[i]
				}
				i++
			} else {
				add = append(add, claim{s, e, o})
				s = e
			}
		}
	}
	if len(add) == 0 {
		return
	}
	// both lists are sorted and the ranges disjoint: merge them by start
	total := n + len(add)
	ns, ne, no := make([]int, 0, total), make([]int, 0, total), make([]int, 0, total)
	k := 0
	for i := 0; i < n || k < len(add); {
		if k == len(add) || (i < n && starts[i] < add[k].s) {
			ns, ne, no = append(ns, starts[i]), append(ne, ends[i]), append(no, p.owners[i])
			i++
		} else {
			ns, ne, no = append(ns, add[k].s), append(ne, add[k].e), append(no, add[k].o)
			k++
		}
	}
	p.starts, p.ends, p.owners = ns, ne, no
}

type moduledata struct{ text, types, etypes, gofunc, findfunctab int }

// sizeTable is the JSON answer (refactor.binary.SizeTable.from_json reads it).
type sizeTable struct {
	Version              int            `json:"version"`
	FileBytes            int            `json:"file_bytes"`
	Unattributed         int            `json:"unattributed"`
	Packages             map[string]int `json:"packages"`
	Buckets              map[string]int `json:"buckets"`
	Sections             map[string]int `json:"sections"`
	Modules              map[string]int `json:"modules"`
	UnattributedSections map[string]int `json:"unattributed_sections"`
	Notes                []string       `json:"notes"`
	// bytes of each package that a -s -w link leaves out: its DWARF and symbol table entries
	DebugPackages map[string]int `json:"debug_packages"`
	// bytes of each section attributed to some package
	PackageSections map[string]int `json:"package_sections"`
	// bytes of each package that exist only in dynamic-linking mode (plugin linked with cgo on): its
	// .dynsym entries and their names, hash and version words, and its `local.` symbol table entries
	DynamicPackages map[string]int `json:"dynamic_packages,omitempty"`
}

type symAddr struct{ value, size int }

type attributor struct {
	elf     *elfFile
	data    []byte
	modules map[string]*string
	main    string
	mapper  *mapper
	own     *owners
	notes   []string
	tiers   [5][]claim
	syms    []symbol
	symaddr map[string]symAddr
	dirPkg  map[string]int // -1: no package
	md      *moduledata
	// the pclntab's functions by address: [funcAddrs[i], funcEnds[i]) is owned by funcOwners[i]
	funcAddrs, funcEnds, funcOwners []int
	typeRefs                        [][2]int    // typeTier.offRefs
	noPointers                      [][2]int    // file ranges of data that holds no pointers (refs.go)
	localBytes                      map[int]int // owner -> bytes of its `local.` symbol table entries
}

// attribute attributes every byte of an ELF file (the caller has checked the magic).
func attribute(data []byte, paths []string, modules map[string]*string, main string) (t *sizeTable, err error) {
	defer func() {
		if r := recover(); r != nil {
			if re, ok := r.(readError); ok {
				t, err = nil, fmt.Errorf("malformed ELF file: %v", re)
				return
			}
			panic(r)
		}
	}()
	elf, err := openBinary(data)
	if err != nil {
		if _, ok := err.(readError); ok {
			return nil, fmt.Errorf("malformed ELF file: %v", err)
		}
		return nil, err
	}
	// DWARF needs nothing from the rest: it is read on another core meanwhile, first since it is
	// the longest (decompression). A DWARF section it cannot read leaves the DWARF in its bucket.
	dwarfs := make(chan dwarfTier, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				dwarfs <- dwarfTier{typeTier: typeTier{notes: []string{fmt.Sprintf("DWARF not attributed to packages: %v", r)}}}
			}
		}()
		dwarfs <- dwarfRanges(elf, paths, main)
	}()
	a := &attributor{elf: elf, data: data, modules: modules, main: main,
		mapper: newMapper(append(append([]string(nil), paths...), main), main), own: newOwners(),
		symaddr: make(map[string]symAddr), dirPkg: make(map[string]int)}
	a.syms = elf.symbols()
	for _, s := range a.syms {
		if _, ok := a.symaddr[s.name]; !ok {
			a.symaddr[s.name] = symAddr{s.value, s.size}
		}
	}
	a.md = locateModuledata(elf, a.symaddr)
	// The types tier needs nothing from the others either.
	types := make(chan typeTier, 1)
	failed := make(chan any, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				failed <- r
			}
		}()
		types <- typeRanges(elf, a.md, a.symaddr, main)
	}()
	return a.run(func() typeTier {
		select {
		case tr := <-types:
			return tr
		case r := <-failed:
			panic(r)
		}
	}, func() dwarfTier { return <-dwarfs }), nil
}

// locateModuledata is runtime.firstmoduledata, found from the pclntab header (Go 1.18+ layouts).
func locateModuledata(e *elfFile, symaddr map[string]symAddr) *moduledata {
	base, baseAddr, ok := pclntabAt(e, symaddr)
	if !ok || !pclnMagics[e.u32(base)] {
		return nil
	}
	nameoff := e.u32(base + 8 + 3*4)
	if e.u8(base+7) == 8 {
		nameoff = e.u64(base + 8 + 3*8)
	}
	return findModuledata(e, baseAddr, nameoff)
}

func (a *attributor) claim(tier, start, end, o int) {
	if end > start {
		a.tiers[tier] = append(a.tiers[tier], claim{start, end, o})
	}
}

func (a *attributor) nameOwner(name string) int { return a.own.id(a.mapper.owner(name)) }

func (a *attributor) run(typeTierResult func() typeTier, dwarfTierResult func() dwarfTier) *sizeTable {
	a.headers()
	a.sectionClaims()
	if len(a.syms) > 0 {
		a.symtab()
	} else {
		a.notes = append(a.notes, "no .symtab (built with -s?): code and data sizes come from pclntab only")
	}
	a.pclntab()
	var p painter
	p.paint(a.tiers[tSymbols])
	p.paint(a.tiers[tPCLN])
	// descriptors of types that name no package are shared out by reference, like strings
	tt := typeTierResult()
	a.typeRefs = tt.offRefs
	a.paintResolved(&p, a.splitBuckets(tt, tCarriers))
	p.paint(a.linkTables(&p)) // (before the table symbols' bucket claims of tShared)
	dt := dwarfTierResult()
	a.paintResolved(&p, dt.typeTier)
	a.frames(dt.frames)
	a.unwindTable()
	p.paint(a.tiers[tShared])
	p.paint(a.referencedPieces(&p))
	p.paint(a.symtabEntries(&p))
	p.paint(a.relocations(&p))
	p.paint(a.tiers[tCarriers])
	p.paint(a.tiers[tSections])
	return a.account(&p)
}

// paintResolved paints a tier resolved on its own (its owners numbered apart) under what is painted.
func (a *attributor) paintResolved(p *painter, tr typeTier) {
	ids := make([]int, len(tr.items))
	for i, it := range tr.items {
		ids[i] = a.own.id(it)
	}
	mapped := make([]int, len(tr.owners))
	for i, o := range tr.owners {
		mapped[i] = ids[o]
	}
	p.paintUnder(tr.starts, tr.ends, mapped)
	a.notes = append(a.notes, tr.notes...)
}

// splitBuckets keeps a resolved tier's package ranges and moves its bucket ranges to tier t (to be
// painted after what refers to them is known).
func (a *attributor) splitBuckets(tr typeTier, t int) typeTier {
	out := typeTier{items: tr.items, notes: tr.notes, offRefs: tr.offRefs}
	for k := range tr.starts {
		if tr.items[tr.owners[k]].isPkg() {
			out.starts, out.ends, out.owners = append(out.starts, tr.starts[k]), append(out.ends, tr.ends[k]),
				append(out.owners, tr.owners[k])
		} else {
			a.tiers[t] = append(a.tiers[t], claim{tr.starts[k], tr.ends[k], a.own.id(tr.items[tr.owners[k]])})
		}
	}
	return out
}

// frames gives each FDE of .debug_frame to the owner of the function it describes (the pclntab's
// function whose code holds its address).
func (a *attributor) frames(fdes []claimAt) {
	r := runs{emit: func(s, e, o int) { a.tiers[tShared] = append(a.tiers[tShared], claim{s, e, o}) }}
	for _, f := range fdes {
		i := sort.SearchInts(a.funcAddrs, f.addr+1) - 1
		if i < 0 || f.addr >= a.funcEnds[i] {
			continue
		}
		r.add(f.s, f.e, a.funcOwners[i])
	}
	r.flush()
}

// relocations gives each dynamic relocation (ELF .rela.dyn/.rel.dyn of a position-independent
// binary: r_offset first; PE .reloc: 16-bit entries in blocks per page) to the owner of the word
// it relocates; headers and relocations of unowned words stay in the dynamic linking bucket.
func (a *attributor) relocations(p *painter) (claims []claim) {
	e := a.elf
	emit := func(s, e, o int) { claims = append(claims, claim{s, e, o}) }
	ownerAt := func(addr int) int { return a.packageAt(p, addr) }
	if e.format == "pe" {
		rel := e.byName[".reloc"]
		if rel == nil || rel.fileSize() == 0 {
			return nil
		}
		r := runs{emit: emit}
		for blk, end := rel.offset, rel.offset+rel.fileSize(); blk+8 <= end; {
			page, size := e.u32(blk), e.u32(blk+4)
			if size < 8 || blk+size > end {
				break
			}
			for k := blk + 8; k+2 <= blk+size; k += 2 {
				if v := e.u16(k); v>>12 != 0 { // type 0 pads a block
					if o := ownerAt(e.imageBase + page + v&0xfff); o >= 0 {
						r.add(k, k+2, o)
					}
				}
			}
			blk += size
		}
		r.flush()
		return claims
	}
	for _, name := range []string{".rela.dyn", ".rel.dyn", ".rela"} {
		sec := e.byName[name]
		if sec == nil || sec.fileSize() == 0 {
			continue
		}
		size := 2 * e.ptr // Elf_Rel: offset, info; Elf_Rela: and an addend
		if strings.HasPrefix(name, ".rela") {
			size = 3 * e.ptr
		}
		r := runs{emit: emit}
		for k := sec.offset; k+size <= sec.offset+sec.fileSize(); k += size {
			if o := ownerAt(e.word(k)); o >= 0 {
				r.add(k, k+size, o)
			}
		}
		r.flush()
	}
	return claims
}

// unwindTable gives each entry of a PE .pdata (RUNTIME_FUNCTION: 32-bit RVAs, the function's
// first) to the owner of the function it describes, like the FDEs of .debug_frame.
func (a *attributor) unwindTable() {
	e := a.elf
	pd := e.byName[".pdata"]
	if e.format != "pe" || pd == nil || pd.fileSize() == 0 {
		return
	}
	size := 12 // x64: begin, end, unwind data; arm64: begin, packed unwind data
	if e.arch == "arm64" {
		size = 8
	} else if e.arch != "amd64" {
		return
	}
	var fdes []claimAt
	for k := pd.offset; k+size <= pd.offset+pd.fileSize(); k += size {
		fdes = append(fdes, claimAt{k, k + size, e.imageBase + e.u32(k)})
	}
	a.frames(fdes)
}

// symtabEntries gives each entry of .symtab and .dynsym, with its name in .strtab or .dynstr, to
// the package of its symbol: by its name, else (hashed type names of dynamic-linking mode,
// "type:.+XjaoUyR") by the owner of the bytes it names. .gnu.version and the hash chains of .hash
// and .gnu.hash hold one word per .dynsym entry: they follow it. Entries of symbols that are no
// package's stay in their bucket.
func (a *attributor) symtabEntries(p *painter) (claims []claim) {
	e := a.elf
	emit := func(s, e, o int) { claims = append(claims, claim{s, e, o}) }
	symOwner := func(sym symbol) int {
		if sym.entry < 0 {
			return -1
		}
		if o := a.mapper.owner(sym.name); o.isPkg() {
			return a.own.id(o)
		}
		if sym.value != 0 && sym.shndx != 0 {
			if off, ok := e.fileOff(sym.value); ok {
				if o := p.ownerAt(off); o >= 0 && a.own.items[o].isPkg() {
					return o
				}
			}
		}
		return -1
	}
	table := func(syms []symbol) []int {
		owners := make([]int, len(syms))
		entries, names := runs{emit: emit}, runs{emit: emit}
		for i, sym := range syms {
			o := symOwner(sym)
			owners[i] = o
			if o < 0 {
				continue
			}
			entries.add(sym.entry, sym.entry+sym.entsize, o)
			if sym.nameAt >= 0 {
				names.add(sym.nameAt, sym.nameAt+sym.nameLen+1, o)
			}
			if strings.HasPrefix(sym.name, "local.") { // dynamic-linking mode's second symbol
				if a.localBytes == nil {
					a.localBytes = map[int]int{}
				}
				a.localBytes[o] += sym.entsize + sym.nameLen + 1
			}
		}
		entries.flush()
		names.flush()
		return owners
	}
	table(a.syms)
	dyn := e.dynamicSymbols()
	if len(dyn) == 0 {
		return claims
	}
	owners := table(dyn)
	// one word per symbol from index first on: word i of the array at off goes with symbol first+i
	words := func(off, size, first int) {
		r := runs{emit: emit}
		for i := first; i < len(owners); i++ {
			if owners[i] >= 0 {
				at := off + (i-first)*size
				r.add(at, at+size, owners[i])
			}
		}
		r.flush()
	}
	if v := e.byName[".gnu.version"]; v != nil && v.fileSize() >= 2*len(owners) {
		words(v.offset, 2, 0)
	}
	if h := e.byName[".hash"]; h != nil && h.fileSize() >= 8 {
		nbucket, nchain := e.u32(h.offset), e.u32(h.offset+4)
		if nchain == len(owners) && 8+4*(nbucket+nchain) <= h.fileSize() {
			words(h.offset+8+4*nbucket, 4, 0)
		}
	}
	if h := e.byName[".gnu.hash"]; h != nil && h.fileSize() >= 16 {
		nbucket, symoffset, bloom := e.u32(h.offset), e.u32(h.offset+4), e.u32(h.offset+8)
		chain := h.offset + 16 + bloom*e.ptr + 4*nbucket
		if symoffset <= len(owners) && chain+4*(len(owners)-symoffset) <= h.offset+h.fileSize() {
			words(chain, 4, symoffset)
		}
	}
	return claims
}

// packageAt is the package owning the word at virtual address addr, or -1 (unmapped, or owned by a
// bucket rather than a package).
func (a *attributor) packageAt(p *painter, addr int) int {
	if off, ok := a.elf.fileOff(addr); ok {
		if o := p.ownerAt(off); o >= 0 && a.own.items[o].isPkg() {
			return o
		}
	}
	return -1
}

// linkTables gives each entry of .typelink (a 32-bit offset of a type descriptor) and .itablink (a
// pointer to an itab) to the package owning what it points at; the rest stays in its bucket.
func (a *attributor) linkTables(p *painter) (claims []claim) {
	e := a.elf
	emit := func(s, e, o int) { claims = append(claims, claim{s, e, o}) }
	ownerAt := func(addr int) int { return a.packageAt(p, addr) }
	types := a.symaddr["runtime.types"].value
	if a.md != nil {
		types = a.md.types
	}
	tl := tableSection(e, ".typelink", a.symaddr["runtime.typelink"])
	if tl != nil && tl.fileSize() != 0 && types != 0 {
		r := runs{emit: emit}
		for k := tl.offset; k+4 <= tl.offset+tl.fileSize(); k += 4 {
			if o := ownerAt(types + e.i32(k)); o >= 0 {
				r.add(k, k+4, o)
			}
		}
		r.flush()
	}
	if il := tableSection(e, ".itablink", a.symaddr["runtime.itablink"]); il != nil && il.fileSize() != 0 {
		r := runs{emit: emit}
		for k := il.offset; k+e.ptr <= il.offset+il.fileSize(); k += e.ptr {
			if o := ownerAt(e.word(k)); o >= 0 {
				r.add(k, k+e.ptr, o)
			}
		}
		r.flush()
	}
	return claims
}

// headers: the ELF header, program headers and section headers.
func (a *attributor) headers() {
	e := a.elf
	h := a.own.id(bucket(bHeaders))
	if e.format == "pe" || e.format == "macho" {
		for _, r := range e.headers {
			a.claim(tSymbols, r[0], r[1], h)
		}
		return
	}
	a.claim(tSymbols, 0, e.ehsize, h)
	a.claim(tSymbols, e.phoff, e.phoff+e.phentsize*e.phnum, h)
	a.claim(tSymbols, e.shoff, e.shoff+e.shentsize*e.shnum, h)
}

// sectionClaims: whole sections whose nature is known (DWARF, symtab, notes, dynamic linking).
func (a *attributor) sectionClaims() {
	for _, s := range a.elf.sections {
		if s.fileSize() == 0 {
			continue
		}
		b, ok := sectionBuckets[s.name]
		if !ok {
			switch {
			case strings.HasPrefix(s.name, ".debug_") || strings.HasPrefix(s.name, ".zdebug_"):
				b = bDWARF
			case strings.HasPrefix(s.name, ".note"):
				b = bHeaders
			case strings.HasPrefix(s.name, ".rela") || strings.HasPrefix(s.name, ".rel."):
				b = bDynamic
			}
		}
		if b != "" {
			a.claim(tSections, s.offset, s.offset+s.fileSize(), a.own.id(bucket(b)))
		}
	}
	for _, r := range a.elf.symtabRanges { // PE, Mach-O: the symbol table outside any section
		a.claim(tSections, r[0], r[1], a.own.id(bucket(bSymtab)))
	}
}

// symtab: package symbols in the first tier, carriers and generated symbols in the shared one.
func (a *attributor) symtab() {
	secs := a.elf.sections
	type where struct{ delta, end int }
	wh := make([]*where, len(secs))
	for i, s := range secs {
		if s.typ != shtNobits && s.size != 0 {
			wh[i] = &where{s.offset - s.addr, s.offset + s.size}
		}
	}
	carriers := map[string]string{"type:*": bTypes, "go:string.*": bStrings, "go:func.*": bFuncdata,
		"go:funcdesc": bGenerated, "go:funcdescrel": bGenerated, "runtime.gcbits.*": bTypes, "go:typerel.*": bTypes}
	var starts []int
	funcdata := a.own.id(bucket(bFuncdata))
	for _, sym := range a.syms {
		carrier, isCarrier := carriers[sym.name]
		size := sym.size
		if size <= 0 && !isCarrier {
			continue
		}
		if !(0 < sym.shndx && sym.shndx < len(secs)) || wh[sym.shndx] == nil {
			continue
		}
		w := wh[sym.shndx]
		off := sym.value + w.delta
		if isCarrier {
			// Carrier symbols have size 0 (or cover their pieces): the range runs to the next symbol.
			if size == 0 {
				if len(starts) == 0 {
					starts = symbolStarts(a.syms)
				}
				sec := secs[sym.shndx]
				size = nextStart(starts, sym.value, sec.addr+sec.size) - sym.value
			}
			if size > 0 {
				if pointerFreeCarriers[sym.name] {
					a.noPointers = append(a.noPointers, [2]int{off, off + size})
				}
				tier := tShared
				if sym.name == "go:string.*" || sym.name == "type:*" {
					tier = tCarriers
				}
				a.tiers[tier] = append(a.tiers[tier], claim{off, off + size, a.own.id(bucket(carrier))})
			}
			continue
		}
		end := off + size
		if end > w.end {
			end = w.end
		}
		if pointerFreeSymbols[sym.name] {
			a.noPointers = append(a.noPointers, [2]int{off, end})
		}
		o := a.mapper.owner(sym.name)
		switch {
		case !o.isPkg() && specialSymbols[sym.name] == "" && dataSections[secs[sym.shndx].name]:
			// data no package's name owns (hashed type names in dynamic-linking mode, $f64
			// constants...): shared out by reference first (refs.go), its bucket's otherwise
			a.tiers[tCarriers] = append(a.tiers[tCarriers], claim{off, end, a.own.id(o)})
		case !o.isPkg():
			a.tiers[tShared] = append(a.tiers[tShared], claim{off, end, a.own.id(o)})
		case hasAnySuffix(sym.name, funcdataSuffixes):
			a.tiers[tShared] = append(a.tiers[tShared], claim{off, end, funcdata})
		default:
			a.tiers[tSymbols] = append(a.tiers[tSymbols], claim{off, end, a.own.id(o)})
		}
	}
}

func hasAnySuffix(s string, suffixes []string) bool {
	for _, x := range suffixes {
		if strings.HasSuffix(s, x) {
			return true
		}
	}
	return false
}

// symbolStarts: the sorted distinct nonzero symbol values.
func symbolStarts(syms []symbol) []int {
	seen := make(map[int]bool, len(syms))
	var out []int
	for _, s := range syms {
		if s.value != 0 && !seen[s.value] {
			seen[s.value] = true
			out = append(out, s.value)
		}
	}
	sort.Ints(out)
	return out
}

// nextStart is the first symbol address after value, capped at limit.
func nextStart(starts []int, value, limit int) int {
	i := sort.SearchInts(starts, value+1)
	if i < len(starts) && starts[i] < limit {
		return starts[i]
	}
	return limit
}

// pclntabAt is the (file offset, address) of the pclntab: its section, else the runtime.pclntab symbol.
func pclntabAt(e *elfFile, symaddr map[string]symAddr) (int, int, bool) {
	if s := e.byName[".gopclntab"]; s != nil && s.fileSize() != 0 {
		return s.offset, s.addr, true
	}
	addr := symaddr["runtime.pclntab"].value
	if addr == 0 {
		return 0, 0, false
	}
	off, ok := e.fileOff(addr)
	return off, addr, ok
}

// pclntab: per-function pieces of the pclntab (and code ranges when there is no symtab).
func (a *attributor) pclntab() {
	e, data := a.elf, a.data
	sec := e.byName[".gopclntab"]
	base, baseAddr, ok := pclntabAt(e, a.symaddr)
	if !ok {
		a.notes = append(a.notes, "no pclntab found: function tables stay unattributed")
		return
	}
	if magic := e.u32(base); !pclnMagics[magic] {
		a.notes = append(a.notes, fmt.Sprintf("pclntab magic %#x is not Go 1.18+: function tables stay unattributed", magic))
		return
	}
	ptr := e.u8(base + 7)
	hw := func(k int) int {
		if ptr == 8 {
			return e.u64(base + 8 + 8*k)
		}
		return e.u32(base + 8 + 4*k)
	}
	nfunc, nameoff, cuoff, fileoff, pcoff, funcoff := hw(0), hw(3), hw(4), hw(5), hw(6), hw(7)
	hdrEnd := 8 + 8*ptr
	pclnBucket := a.own.id(bucket(bPCLN))
	a.claim(tPCLN, base, base+hdrEnd, pclnBucket)
	regions := uniqueSorted([]int{nameoff, cuoff, fileoff, pcoff, funcoff})
	pclnEnd := 0
	if sec != nil {
		pclnEnd = sec.size
	} else if end, ok := a.symaddr["runtime.epclntab"]; ok && end.value > baseAddr { // PE: no section of its own
		pclnEnd = end.value - baseAddr
	}
	regionEnd := func(start int) int {
		i := sort.SearchInts(regions, start)
		if i+1 < len(regions) {
			return regions[i+1]
		}
		return pclnEnd
	}
	md := a.md // (locateModuledata: the same header, found the same way)
	// functab: nfunc+1 (entryoff, funcoff) pairs, then the _func records
	ftab := base + funcoff
	ptab := e.slice(ftab, ftab+8*(nfunc+1))
	if nfunc < 0 || len(ptab) < 8*(nfunc+1) {
		a.notes = append(a.notes, "pclntab function table is truncated: function tables stay unattributed")
		return
	}
	entryOf := func(i int) int { return int(e.bo.Uint32(ptab[8*i:])) }
	recOf := func(i int) int { return int(e.bo.Uint32(ptab[8*i+4:])) }
	add := func(s, end, o int) { a.tiers[tPCLN] = append(a.tiers[tPCLN], claim{s, end, o}) }
	// funcnametab: every NUL-terminated name (inlined functions' names included); a run of names of
	// one owner is one claim
	ns, ne := base+nameoff, base+regionEnd(nameoff)
	names := e.slice(ns, ne)
	nameIDs := make(map[int]int, nfunc*2)
	names1 := runs{emit: add}
	for pos := 0; pos <= len(names); {
		n := indexByteFrom(names, 0, pos, len(names))
		if n < 0 {
			n = len(names)
		}
		n -= pos
		if n > 0 {
			o := a.nameOwner(string(names[pos : pos+n]))
			nameIDs[pos] = o
			names1.add(ns+pos, min(ns+pos+n+1, ne), o)
		}
		pos += n + 1
	}
	names1.flush()
	funcOwner := make([]int, 0, nfunc)
	pcFirst, fdFirst, cuFirst := make(map[int]int), make(map[int]int), make(map[int]int)
	setdefault := func(m map[int]int, k, v int) {
		if _, ok := m[k]; !ok {
			m[k] = v
		}
	}
	recOffsets := make([]int, 0, nfunc)
	entries := runs{emit: add} // functab entries: 8 bytes each
	for i := 0; i < nfunc; i++ {
		foff := ftab + recOf(i)
		nameOff := e.i32(foff + 4)
		pcsp, pcfile, pcln, npcdata, cu := e.u32(foff+16), e.u32(foff+20), e.u32(foff+24), e.u32(foff+28), e.u32(foff+32)
		nfuncdata := e.u8(foff + 43)
		o, known := nameIDs[nameOff]
		if !known { // not at a name boundary (never seen in practice): read it where it points
			o = a.nameOwner(e.cstr(ns + nameOff))
		}
		funcOwner = append(funcOwner, o)
		entries.add(ftab+8*i, ftab+8*i+8, o)
		recOffsets = append(recOffsets, foff)
		if pcsp != 0 {
			setdefault(pcFirst, pcsp, o)
		}
		if pcfile != 0 {
			setdefault(pcFirst, pcfile, o)
		}
		if pcln != 0 {
			setdefault(pcFirst, pcln, o)
		}
		for k := 0; k < npcdata; k++ {
			if t := e.u32(foff + 44 + 4*k); t != 0 {
				setdefault(pcFirst, t, o)
			}
		}
		for k := 0; k < nfuncdata; k++ {
			if t := e.u32(foff + 44 + 4*npcdata + 4*k); t != 0xFFFFFFFF {
				setdefault(fdFirst, t, o)
			}
		}
		setdefault(cuFirst, cu, o)
	}
	entries.flush()
	// the sentinel pair (end of text) belongs to the table itself
	a.claim(tPCLN, ftab+8*nfunc, ftab+8*nfunc+8, pclnBucket)
	// _func records: each runs to the next record (alignment included)
	order := make([]int, nfunc)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return recOffsets[order[i]] < recOffsets[order[j]] })
	recsEnd := base + regionEnd(funcoff)
	recs := runs{emit: add}
	for j, k := range order {
		s := recOffsets[k]
		end := recsEnd
		if j+1 < nfunc {
			end = recOffsets[order[j+1]]
		}
		if end <= s || end-s > 4096 {
			end = s + 44
		}
		recs.add(s, end, funcOwner[k])
	}
	recs.flush()
	// pctab: tables are contiguous, so each runs to the next referenced offset
	a.splitTable(base+pcoff, base+regionEnd(pcoff), pcFirst)
	// cutab: per compile unit, uint32 file indices
	cuBytes := make(map[int]int, len(cuFirst))
	for k, v := range cuFirst {
		cuBytes[4*k] = v
	}
	a.splitTable(base+cuoff, base+regionEnd(cuoff), cuBytes)
	// filetab: each file name goes to the package of its directory
	fs, fe := base+fileoff, base+regionEnd(fileoff)
	for p := fs; p < fe; {
		end := indexByteFrom(data, 0, p, fe)
		if end < 0 {
			break
		}
		if end > p {
			if o := a.fileOwner(string(data[p:end])); o >= 0 {
				a.claim(tPCLN, p, end+1, o)
			}
		}
		p = end + 1
	}
	// funcdata in go:func.*
	gofunc := a.symaddr["go:func.*"].value
	if md != nil {
		gofunc = md.gofunc
	}
	if gofunc != 0 {
		goEnd := 0
		if sa, ok := a.symaddr["go:func.*"]; ok && sa.size != 0 {
			goEnd = gofunc + sa.size
		} else if md != nil && md.findfunctab > gofunc {
			goEnd = md.findfunctab
		}
		if off, ok := e.fileOff(gofunc); ok && goEnd != 0 {
			a.splitTable(off, off+goEnd-gofunc, fdFirst)
		}
	}
	if md != nil && md.findfunctab != 0 {
		if ff, ok := e.fileOff(md.findfunctab); ok {
			end := ff
			if md.findfunctab > baseAddr {
				end = base + pclnEnd
			}
			a.claim(tShared, ff, end, pclnBucket)
		}
	}
	text := 0
	if md != nil {
		text = md.text
	} else if s := e.byName[".text"]; s != nil {
		text = s.addr
	}
	a.funcAddrs, a.funcEnds, a.funcOwners = make([]int, nfunc), make([]int, nfunc), funcOwner
	for i := 0; i < nfunc; i++ {
		a.funcAddrs[i], a.funcEnds[i] = text+entryOf(i), text+entryOf(i+1)
	}
	if len(a.syms) > 0 {
		// the function's span, up to the next function: what the package symbols left of it (the
		// alignment after its code; its code when the symbol's name is no package's, as the hashed
		// names of dynamic-linking mode) goes to the owner of its pclntab name
		spans := runs{emit: func(s, e, o int) { a.tiers[tPCLN] = append(a.tiers[tPCLN], claim{s, e, o}) }}
		for i := 0; i < nfunc; i++ {
			s, ok1 := e.fileOff(a.funcAddrs[i])
			b, ok2 := e.fileOff(a.funcEnds[i] - 1)
			if ok1 && ok2 && b >= s {
				spans.add(s, b+1, funcOwner[i])
			}
		}
		spans.flush()
	}
	// code, when .symtab is missing: entry i runs to entry i+1, trailing int3 filler is padding
	if len(a.syms) == 0 {
		pad := a.own.id(bucket(bPadding))
		x86 := e.machineX86()
		for i := 0; i < nfunc; i++ {
			s, ok1 := e.fileOff(text + entryOf(i))
			b, ok2 := e.fileOff(text + entryOf(i+1) - 1)
			if !ok1 || !ok2 {
				continue
			}
			b++
			body := e.slice(s, b)
			keep := len(body)
			if x86 {
				for keep > 0 && body[keep-1] == 0xCC {
					keep--
				}
			}
			a.claim(tPCLN, s, s+keep, funcOwner[i])
			a.claim(tPCLN, s+keep, b, pad)
		}
	}
}

// runs merges consecutive ranges of one owner into one claim (a Go binary's tables are long runs of
// one package).
type runs struct {
	s, e int
	o    int
	open bool
	emit func(s, e, o int)
}

func (r *runs) add(s, e, o int) {
	if r.open && o == r.o && s == r.e {
		r.e = e
		return
	}
	r.flush()
	r.s, r.e, r.o, r.open = s, e, o, true
}

func (r *runs) flush() {
	if r.open && r.e > r.s {
		r.emit(r.s, r.e, r.o)
	}
	r.open = false
}

func uniqueSorted(xs []int) []int {
	sort.Ints(xs)
	out := xs[:0]
	for i, x := range xs {
		if i == 0 || x != xs[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// splitTable splits [start, end) at the referenced offsets; each piece goes to its first referrer.
func (a *attributor) splitTable(start, end int, first map[int]int) {
	var offs []int
	for o := range first {
		if 0 <= start+o && start+o < end {
			offs = append(offs, o)
		}
	}
	sort.Ints(offs)
	runS, runO := -1, -1 // pieces are contiguous: a run of one owner is one claim
	for _, o := range offs {
		if ow := first[o]; ow != runO {
			if runS >= 0 {
				a.tiers[tPCLN] = append(a.tiers[tPCLN], claim{runS, start + o, runO})
			}
			runS, runO = start+o, ow
		}
	}
	if runS >= 0 && end > runS {
		a.tiers[tPCLN] = append(a.tiers[tPCLN], claim{runS, end, runO})
	}
}

// fileOwner is the package owning a source file path from the filetab, by its directory (-1: none).
func (a *attributor) fileOwner(fname string) int {
	d := ""
	if slash := strings.LastIndex(fname, "/"); slash > 0 {
		d = fname[:slash]
	}
	if o, ok := a.dirPkg[d]; ok {
		return o
	}
	o := -1
	if d != "" {
		parts := strings.Split(d, "/")
		for i, p := range parts {
			parts[i], _, _ = strings.Cut(p, "@")
		}
		for k := range parts {
			cand := strings.Join(parts[k:], "/")
			if _, ok := a.modules[cand]; ok || cand == a.main {
				o = a.own.id(pkgOwner(cand))
				break
			}
		}
	}
	a.dirPkg[d] = o
	return o
}

var fillers = [256]bool{0: true, 0xCC: true, 0x90: true} // zero, int3, nop

// account sums painted ranges per owner; uncovered bytes become padding or per-section unattributed.
func (a *attributor) account(p *painter) *sizeTable {
	size := len(a.data)
	totals := make([]int, len(a.own.items))
	type gap struct{ s, e int }
	var gaps []gap
	cursor := 0
	for k := range p.starts {
		s, e := p.starts[k], min(p.ends[k], size) // (a claim past the end of a malformed file)
		if s >= size {
			break
		}
		totals[p.owners[k]] += e - s
		if s > cursor {
			gaps = append(gaps, gap{cursor, s})
		}
		cursor = e
	}
	if cursor < size {
		gaps = append(gaps, gap{cursor, size})
	}
	type rng struct {
		s, e int
		name string
	}
	var ranges []rng
	for _, s := range a.elf.sections {
		if s.fileSize() != 0 {
			ranges = append(ranges, rng{s.offset, s.offset + s.fileSize(), s.name})
		}
	}
	sort.Slice(ranges, func(i, j int) bool {
		x, y := ranges[i], ranges[j]
		if x.s != y.s {
			return x.s < y.s
		}
		if x.e != y.e {
			return x.e < y.e
		}
		return x.name < y.name
	})
	padding := 0
	unattributed := map[string]int{}
	for _, g := range gaps {
		for pos := g.s; pos < g.e; {
			i := sort.Search(len(ranges), func(k int) bool { return ranges[k].s > pos }) - 1
			var end int
			if i >= 0 && pos < ranges[i].e {
				end = ranges[i].e
				if end > g.e {
					end = g.e
				}
				n := end - pos
				// a short run of one filler byte (zero, int3, nop) inside a section is alignment
				if n <= padMax && fillers[a.data[pos]] && allSame(a.data[pos:end]) {
					padding += n
				} else {
					where := ranges[i].name
					if where == "" {
						where = "(unnamed section)"
					}
					unattributed[where] += n
				}
			} else { // between sections: file alignment
				end = size
				if i+1 < len(ranges) {
					end = ranges[i+1].s
				}
				if end > g.e {
					end = g.e
				}
				padding += end - pos
			}
			pos = end
		}
	}
	t := &sizeTable{Version: 1, FileBytes: size, Packages: map[string]int{}, Buckets: map[string]int{},
		Sections: map[string]int{}, Modules: map[string]int{}, UnattributedSections: unattributed}
	for i, it := range a.own.items {
		if totals[i] == 0 {
			continue
		}
		if it.isPkg() {
			t.Packages[it.name] += totals[i]
		} else {
			t.Buckets[it.name] += totals[i]
		}
	}
	if padding != 0 {
		t.Buckets[bPadding] += padding
	}
	var unknown []string
	for pkg, n := range t.Packages {
		// a package named by symbols only (runtime/cgo, or linknamed into runtime) is std if its path is
		key := "std"
		if mod, ok := a.modules[pkg]; ok {
			if mod != nil {
				key = *mod
			}
		} else if first, _, _ := strings.Cut(pkg, "/"); strings.Contains(first, ".") {
			key = "?"
		}
		t.Modules[key] += n
		if _, ok := a.modules[pkg]; !ok && pkg != a.main {
			unknown = append(unknown, pkg)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		shown := unknown
		more := ""
		if len(shown) > 5 {
			shown, more = shown[:5], " ..."
		}
		a.notes = append(a.notes, fmt.Sprintf("%d symbol package(s) not in the build graph (module std if the "+
			"path is standard, else '?'): %s%s", len(unknown), strings.Join(shown, ", "), more))
	}
	for _, s := range a.elf.sections {
		if s.fileSize() != 0 && s.name != "" {
			t.Sections[s.name] += s.fileSize()
		}
	}
	a.packageSections(p, t)
	for _, n := range unattributed {
		t.Unattributed += n
	}
	t.Notes = append([]string{}, a.notes...)
	return t
}

// packageSections fills the package bytes per section, and per package those of the sections a
// -s -w link leaves out (DWARF, symbol and string tables).
func (a *attributor) packageSections(p *painter, t *sizeTable) {
	t.DebugPackages, t.PackageSections = map[string]int{}, map[string]int{}
	type rng struct {
		s, e  int
		name  string
		debug bool
	}
	var ranges []rng
	for _, s := range a.elf.sections {
		if s.fileSize() != 0 && s.name != "" {
			debug := strings.HasPrefix(s.name, ".debug_") || strings.HasPrefix(s.name, ".zdebug_") ||
				s.name == ".symtab" || s.name == ".strtab"
			ranges = append(ranges, rng{s.offset, s.offset + s.fileSize(), s.name, debug})
		}
	}
	for _, r := range a.elf.symtabRanges { // PE, Mach-O: the symbol table outside any section
		ranges = append(ranges, rng{r[0], r[1], "", true})
	}
	dynamic := map[string]bool{".dynsym": true, ".dynstr": true, ".gnu.hash": true, ".hash": true, ".gnu.version": true}
	for _, r := range ranges {
		i := sort.SearchInts(p.ends, r.s+1)
		for ; i < len(p.starts) && p.starts[i] < r.e; i++ {
			it := a.own.items[p.owners[i]]
			if !it.isPkg() {
				continue
			}
			n := min(p.ends[i], r.e) - max(p.starts[i], r.s)
			if r.name != "" {
				t.PackageSections[r.name] += n
			}
			if r.debug {
				t.DebugPackages[it.name] += n
			}
			if dynamic[r.name] {
				if t.DynamicPackages == nil {
					t.DynamicPackages = map[string]int{}
				}
				t.DynamicPackages[it.name] += n
			}
		}
	}
	for o, n := range a.localBytes {
		if it := a.own.items[o]; it.isPkg() {
			if t.DynamicPackages == nil {
				t.DynamicPackages = map[string]int{}
			}
			t.DynamicPackages[it.name] += n
		}
	}
}

func allSame(b []byte) bool {
	for _, c := range b {
		if c != b[0] {
			return false
		}
	}
	return true
}
