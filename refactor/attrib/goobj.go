package main

// The Go object files a binary was linked from, loaded the way cmd/link's loader loads them, so that
// the linker's reachability pass (deadcode.go) can be replayed on them with a part of the program
// cut out (reach.go).
//
// Format: cmd/internal/goobj/objfile.go ("\x00go120ld", Go 1.20 and later). The constants that
// change between toolchains (relocation types, symbol kinds, the builtin symbol list) are read from
// the toolchain's own sources under GOROOT, so the core built by one Go reads the objects of that Go.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"
)

const objMagic = "\x00go120ld"

// goobj blocks (objfile.go: BlkAutolib ... BlkEnd)
const (
	blkAutolib = iota
	blkPkgIdx
	blkFile
	blkSymdef
	blkHashed64def
	blkHasheddef
	blkNonpkgdef
	blkNonpkgref
	blkRefFlags
	blkHash64
	blkHash
	blkRelocIdx
	blkAuxIdx
	blkDataIdx
	blkReloc
	blkAux
	blkData
	blkRefName
	blkEnd
	nBlk
)

const (
	symSize      = 8 + 2 + 1 + 1 + 1 + 4 + 4
	relocSize    = 4 + 1 + 2 + 8 + 8
	auxSize      = 1 + 8
	refFlagsSize = 8 + 1 + 1
	hashSize     = 16

	pkgIdxNone     = (1<<31 - 1)
	pkgIdxHashed64 = pkgIdxNone - 1
	pkgIdxHashed   = pkgIdxNone - 2
	pkgIdxBuiltin  = pkgIdxNone - 3
	pkgIdxSelf     = pkgIdxNone - 4

	symABIstatic = 0xFFFF

	// Sym.Flag and Sym.Flag2 bits
	symFlagDupok         = 1 << 0
	symFlagReflectMethod = 1 << 5
	symFlagGoType        = 1 << 6
	symFlagUsedInIface   = 1 << 0
	symFlagItab          = 1 << 1
	symFlagPkgInit       = 1 << 3

	auxGotype = 0

	relocWeak = 0x8000
)

// toolchain holds the numbering of one Go release: relocation types and symbol kinds by name.
type toolchain struct {
	reloc      map[string]int
	kinds      map[string]int
	builtins   []builtinSym
	directCall map[int]bool
	// the kinds of symbols with bytes in the file, and of DWARF symbols
	dataKind, dwarfKind, textKind map[int]bool
}

type builtinSym struct {
	name string
	abi  int
}

func (t *toolchain) r(name string) int {
	if v, ok := t.reloc[name]; ok {
		return v
	}
	return -1
}

// loadToolchain reads the numbering from GOROOT/src/cmd/internal/{objabi,goobj}.
func loadToolchain(goroot string) (*toolchain, error) {
	t := &toolchain{directCall: map[int]bool{}, dataKind: map[int]bool{}, dwarfKind: map[int]bool{},
		textKind: map[int]bool{}}
	var err error
	src := filepath.Join(goroot, "src", "cmd", "internal")
	if t.reloc, err = constBlock(filepath.Join(src, "objabi", "reloctype.go"), "R_ADDR"); err != nil {
		return nil, err
	}
	if t.kinds, err = constBlock(filepath.Join(src, "objabi", "symkind.go"), "Sxxx"); err != nil {
		return nil, err
	}
	if t.builtins, err = builtinList(filepath.Join(src, "goobj", "builtinlist.go")); err != nil {
		return nil, err
	}
	for _, n := range []string{"R_CALL", "R_CALLARM", "R_CALLARM64", "R_CALLLOONG64", "R_CALLMIPS", "R_CALLPOWER",
		"R_RISCV_CALL", "R_RISCV_JAL", "R_RISCV_JAL_TRAMP"} {
		if v, ok := t.reloc[n]; ok {
			t.directCall[v] = true
		}
	}
	for name, v := range t.kinds {
		switch {
		case strings.HasPrefix(name, "STEXT"):
			t.dataKind[v], t.textKind[v] = true, true
		case strings.HasPrefix(name, "SRODATA"),
			strings.HasPrefix(name, "SNOPTRDATA"), strings.HasPrefix(name, "SDATA"):
			t.dataKind[v] = true
		case strings.HasPrefix(name, "SDWARF"):
			t.dwarfKind[v] = true
		}
	}
	for _, need := range []string{"R_METHODOFF", "R_USETYPE", "R_USEIFACE", "R_USEIFACEMETHOD"} {
		if _, ok := t.reloc[need]; !ok {
			return nil, fmt.Errorf("%s not found in the toolchain's reloctype.go", need)
		}
	}
	return t, nil
}

// constBlock evaluates the const block of a Go file that declares first (iota, implicit repetition,
// the other blocks' constants), as name -> value.
func constBlock(path, first string) (map[string]int, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	found := false
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		var last []ast.Expr
		for iota, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if len(vs.Values) > 0 {
				last = vs.Values
			}
			for i, n := range vs.Names {
				if n.Name == first {
					found = true
				}
				if i >= len(last) {
					continue
				}
				v, err := evalConst(last[i], iota, out)
				if err != nil {
					continue // a constant this reader does not need
				}
				if n.Name != "_" {
					out[n.Name] = v
				}
			}
		}
	}
	if !found {
		return nil, fmt.Errorf("%s: no constant %s", path, first)
	}
	return out, nil
}

func evalConst(e ast.Expr, iota int, known map[string]int) (int, error) {
	switch x := e.(type) {
	case *ast.BasicLit:
		v := constant.MakeFromLiteral(x.Value, x.Kind, 0)
		if i, ok := constant.Int64Val(v); ok {
			return int(i), nil
		}
	case *ast.Ident:
		if x.Name == "iota" {
			return iota, nil
		}
		if v, ok := known[x.Name]; ok {
			return v, nil
		}
	case *ast.ParenExpr:
		return evalConst(x.X, iota, known)
	case *ast.CallExpr: // a conversion: RelocType(x)
		if len(x.Args) == 1 {
			return evalConst(x.Args[0], iota, known)
		}
	case *ast.UnaryExpr:
		v, err := evalConst(x.X, iota, known)
		if err == nil && x.Op == token.SUB {
			return -v, nil
		}
	case *ast.BinaryExpr:
		a, err1 := evalConst(x.X, iota, known)
		b, err2 := evalConst(x.Y, iota, known)
		if err1 == nil && err2 == nil {
			switch x.Op {
			case token.ADD:
				return a + b, nil
			case token.SUB:
				return a - b, nil
			case token.OR:
				return a | b, nil
			case token.AND:
				return a & b, nil
			case token.SHL:
				return a << uint(b), nil
			case token.MUL:
				return a * b, nil
			}
		}
	}
	return 0, errors.New("not a constant this reader evaluates")
}

// builtinList is goobj's builtin symbol table: {"runtime.newobject", 1}, ... in index order.
func builtinList(path string) ([]builtinSym, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []builtinSym
	ast.Inspect(f, func(n ast.Node) bool {
		cl, ok := n.(*ast.CompositeLit)
		if !ok || len(cl.Elts) != 2 {
			return true
		}
		name, ok1 := cl.Elts[0].(*ast.BasicLit)
		abi, ok2 := cl.Elts[1].(*ast.BasicLit)
		if ok1 && ok2 && name.Kind == token.STRING && abi.Kind == token.INT {
			s, _ := strconv.Unquote(name.Value)
			a, _ := strconv.Atoi(abi.Value)
			out = append(out, builtinSym{s, a})
			return false
		}
		return true
	})
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no builtin symbols", path)
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------------
// Object files

// object is one Go object file (one archive member) of package pkg.
type object struct {
	b       []byte
	pkg     string
	offsets [nBlk]uint32
	ndef    int // package-indexed definitions
	nh64    int
	nh      int
	nnpdef  int
	nnpref  int
	syms    []int32 // local index (defs, then non-package refs) -> global symbol
	npSlot  []int32 // per non-package definition: its name's index in program.winner (-1: unnamed, static)
	pkgs    []int32 // PkgIndex entry -> object index of that package (-1: not loaded)
	regabi  bool
	index   int32 // in program.objs
}

func (o *object) u32(off uint32) uint32 { return binary.LittleEndian.Uint32(o.b[off:]) }

func (o *object) str(off uint32) string {
	n, at := o.u32(off), o.u32(off+4)
	if n == 0 {
		return ""
	}
	return unsafe.String(&o.b[at], int(n))
}

func (o *object) symOff(i int) uint32 { return o.offsets[blkSymdef] + uint32(i)*symSize }
func (o *object) symName(i int) string {
	return o.str(o.symOff(i))
}
func (o *object) symABI(i int) int    { return int(binary.LittleEndian.Uint16(o.b[o.symOff(i)+8:])) }
func (o *object) symKind(i int) int   { return int(o.b[o.symOff(i)+10]) }
func (o *object) symFlag(i int) byte  { return o.b[o.symOff(i)+11] }
func (o *object) symFlag2(i int) byte { return o.b[o.symOff(i)+12] }
func (o *object) symSiz(i int) int    { return int(o.u32(o.symOff(i) + 13)) }

func (o *object) relocs(i int) (uint32, uint32) {
	idx := o.offsets[blkRelocIdx] + uint32(i)*4
	return o.offsets[blkReloc] + o.u32(idx)*relocSize, o.offsets[blkReloc] + o.u32(idx+4)*relocSize
}

func (o *object) auxs(i int) (uint32, uint32) {
	idx := o.offsets[blkAuxIdx] + uint32(i)*4
	return o.offsets[blkAux] + o.u32(idx)*auxSize, o.offsets[blkAux] + o.u32(idx+4)*auxSize
}

func (o *object) data(i int) []byte {
	idx := o.offsets[blkDataIdx] + uint32(i)*4
	base := o.offsets[blkData]
	return o.b[base+o.u32(idx) : base+o.u32(idx+4)]
}

// readArchive returns the Go objects of one package archive (cgo host objects are not read: the
// C code they hold is linked or not as a whole and stays in the cgo/C bucket).
func readArchive(path, pkg string) ([]*object, error) {
	data, err := readFile(path, false)
	if err != nil {
		return nil, err
	}
	if !bytes.HasPrefix(data, []byte("!<arch>\n")) {
		return nil, fmt.Errorf("%s: not an archive", path)
	}
	var out []*object
	for pos := 8; pos+60 <= len(data); {
		size, err := strconv.Atoi(strings.TrimSpace(string(data[pos+48 : pos+58])))
		if err != nil || size < 0 || pos+60+size > len(data) {
			return nil, fmt.Errorf("%s: bad archive member at %d", path, pos)
		}
		body := data[pos+60 : pos+60+size]
		pos += 60 + size + size&1
		if !bytes.HasPrefix(body, []byte("go object ")) {
			continue
		}
		at := bytes.Index(body, []byte("\n!\n"))
		if at < 0 || !bytes.HasPrefix(body[at+3:], []byte(objMagic)) {
			continue // __.PKGDEF: export data only
		}
		header := body[:bytes.IndexByte(body, '\n')]
		o := &object{b: body[at+3:], pkg: pkg, regabi: bytes.Contains(header, []byte("regabiwrappers"))}
		off := uint32(len(objMagic) + 8 + 4)
		if len(o.b) < int(off)+4*nBlk {
			return nil, fmt.Errorf("%s: truncated object", path)
		}
		for i := range o.offsets {
			o.offsets[i] = o.u32(off)
			off += 4
		}
		o.ndef = int(o.offsets[blkSymdef+1]-o.offsets[blkSymdef]) / symSize
		o.nh64 = int(o.offsets[blkHashed64def+1]-o.offsets[blkHashed64def]) / symSize
		o.nh = int(o.offsets[blkHasheddef+1]-o.offsets[blkHasheddef]) / symSize
		o.nnpdef = int(o.offsets[blkNonpkgdef+1]-o.offsets[blkNonpkgdef]) / symSize
		o.nnpref = int(o.offsets[blkNonpkgref+1]-o.offsets[blkNonpkgref]) / symSize
		out = append(out, o)
	}
	return out, nil
}

// ---------------------------------------------------------------------------------------------------
// The loader: global symbols, as cmd/link/internal/loader numbers them, made on first reference.
//
// A link's objects define about ten times the symbols it keeps, so symbols are made only when a
// relocation reaches them: package symbols by index, content-hashed ones per object (the linker
// merges equal contents; their bytes are no package's, so keeping duplicates apart changes no
// weight), and named non-package symbols (duplicated definitions: generic instantiations, type
// descriptors, wrappers) through one index of their names, built up front.

type gsym struct {
	obj   int32 // defining object, -1: referenced but defined by no Go object (C, linker-made)
	li    int32 // local index in obj
	name  string
	abi   int32 // 0, 1 or -1 (static, hashed)
	kind  uint8
	flag  uint8
	flag2 uint8
	size  int
	uii   bool // UsedInIface from the objects
	dupok bool
}

type symKey struct {
	name string
	abi  int32
}

type defRef struct{ obj, li int32 }

type program struct {
	tc       *toolchain
	objs     []*object
	syms     []gsym
	byName   map[symKey]int32    // made symbols by name (named, non-static)
	nonpkg   [2]map[string]int32 // by ABI (0, 1), every non-package definition's name: its index in winner
	winner   []defRef            // per non-package name, the winning definition
	pkgDefs  map[string]map[symKey]defRef
	builtins []int32
	objByPkg map[string]int32
	pkgObjs  map[string][]int32
}

// loadProgram reads the Go objects of the archives (import path -> file, in link order) and indexes
// the names of their non-package definitions.
func loadProgram(tc *toolchain, archives [][2]string) (*program, error) {
	p := &program{tc: tc, byName: make(map[symKey]int32, 1<<16), objByPkg: map[string]int32{},
		pkgDefs: map[string]map[symKey]defRef{}, pkgObjs: map[string][]int32{}}
	for _, a := range archives {
		objs, err := readArchive(a[1], a[0])
		if err != nil {
			return nil, err
		}
		for _, o := range objs {
			if _, ok := p.objByPkg[o.pkg]; !ok {
				p.objByPkg[o.pkg] = int32(len(p.objs))
			}
			p.pkgObjs[o.pkg] = append(p.pkgObjs[o.pkg], int32(len(p.objs)))
			o.index = int32(len(p.objs))
			p.objs = append(p.objs, o)
		}
	}
	p.builtins = make([]int32, len(tc.builtins))
	for i := range p.builtins {
		p.builtins[i] = -2 // not looked up yet
	}
	total, defs := 0, 0
	for _, o := range p.objs {
		total += o.nnpdef
		defs += o.ndef + o.nh64 + o.nh + o.nnpdef
	}
	// symbols are made as the replay reaches them: a fifth to a half of the definitions on real programs
	p.syms = make([]gsym, 0, defs/4)
	p.nonpkg = [2]map[string]int32{make(map[string]int32, total/2), make(map[string]int32, total/2)}
	p.winner = make([]defRef, 0, total)
	for oi, o := range p.objs {
		o.syms = make([]int32, o.ndef+o.nh64+o.nh+o.nnpdef+o.nnpref)
		for i := range o.syms {
			o.syms[i] = -1
		}
		base := o.ndef + o.nh64 + o.nh
		o.npSlot = make([]int32, o.nnpdef)
		for i := base; i < base+o.nnpdef; i++ {
			o.npSlot[i-base] = -1
			key := symKey{o.symName(i), p.abiOf(o, i)}
			if key.name == "" || key.abi < 0 || key.abi > 1 { // ABI0 and ABIInternal are all there are
				continue
			}
			names := p.nonpkg[key.abi]
			slot, ok := names[key.name]
			if !ok {
				slot = int32(len(p.winner))
				names[key.name] = slot
				p.winner = append(p.winner, defRef{int32(oi), int32(i)})
			} else if old := p.winner[slot]; p.wins(o, i, p.objs[old.obj], int(old.li)) {
				p.winner[slot] = defRef{int32(oi), int32(i)}
			}
			o.npSlot[i-base] = slot
		}
		npkg := int(o.offsets[blkPkgIdx+1]-o.offsets[blkPkgIdx]) / 8
		o.pkgs = make([]int32, npkg)
		for i := 1; i < npkg; i++ {
			if oi, ok := p.objByPkg[o.str(o.offsets[blkPkgIdx]+uint32(i)*8)]; ok {
				o.pkgs[i] = oi
			} else {
				o.pkgs[i] = -1
			}
		}
	}
	for _, o := range p.objs {
		nrf := int(o.offsets[blkRefFlags+1]-o.offsets[blkRefFlags]) / refFlagsSize
		for i := 0; i < nrf; i++ {
			off := o.offsets[blkRefFlags] + uint32(i)*refFlagsSize
			if o.b[off+9]&symFlagUsedInIface != 0 {
				if g := p.resolve(o, o.u32(off), o.u32(off+4)); g >= 0 {
					p.syms[g].uii = true
				}
			}
		}
	}
	return p, nil
}

// wins: whether definition i of o replaces definition j of q of the same name (loader.addSym: a
// larger duplicate wins; a non-duplicate wins over a duplicate).
func (p *program) wins(o *object, i int, q *object, j int) bool {
	newDup, oldDup := o.symFlag(i)&symFlagDupok != 0, q.symFlag(j)&symFlagDupok != 0
	if oldDup && !newDup {
		return true
	}
	return o.symSiz(i) > q.symSiz(j) && (newDup || oldDup)
}

func (p *program) abiOf(o *object, i int) int32 {
	a := o.symABI(i)
	switch {
	case a == symABIstatic:
		return -1
	case a == 1 && !o.regabi:
		return 0 // without ABI wrappers ABIInternal is ABI0 (sym.ABIToVersion)
	}
	return int32(a)
}

func mkSym(oi int32, o *object, i int, name string, abi int32) gsym {
	return gsym{obj: oi, li: int32(i), name: name, abi: abi, kind: uint8(o.symKind(i)),
		flag: o.symFlag(i), flag2: o.symFlag2(i), size: o.symSiz(i), uii: o.symFlag2(i)&symFlagUsedInIface != 0,
		dupok: o.symFlag(i)&symFlagDupok != 0}
}

func (p *program) newSym(oi int32, o *object, i int, name string, abi int32) int32 {
	p.syms = append(p.syms, mkSym(oi, o, i, name, abi))
	return int32(len(p.syms) - 1)
}

// define is the symbol of definition i of object oi, made on first use.
func (p *program) define(oi int32, i int) int32 {
	o := p.objs[oi]
	if g := o.syms[i]; g >= 0 {
		return g
	}
	var g int32
	switch {
	case i >= o.ndef && i < o.ndef+o.nh64+o.nh: // content-hashed: one per object
		g = p.newSym(oi, o, i, o.symName(i), -1)
	case i >= o.ndef: // a non-package definition: the winning one, shared by every object that has it
		if slot := o.npSlot[i-o.ndef-o.nh64-o.nh]; slot >= 0 {
			if d := p.winner[slot]; d.obj != oi || int(d.li) != i {
				g = p.define(d.obj, int(d.li))
				o.syms[i] = g
				return g
			}
		}
		fallthrough
	default:
		name, abi := o.symName(i), p.abiOf(o, i)
		g = p.newSym(oi, o, i, name, abi)
		if name != "" && abi >= 0 {
			if _, ok := p.byName[symKey{name, abi}]; !ok {
				p.byName[symKey{name, abi}] = g
			}
		}
	}
	o.syms[i] = g
	return g
}

// lookup finds a named symbol: a non-package definition, else a package's own (linkname pulls,
// and names the stream gives) in the package the name's prefix names. -1: none.
func (p *program) lookup(name string, abi int32) int32 {
	key := symKey{name, abi}
	if g, ok := p.byName[key]; ok {
		return g
	}
	if abi == 0 || abi == 1 {
		if slot, ok := p.nonpkg[abi][name]; ok {
			d := p.winner[slot]
			return p.define(d.obj, int(d.li))
		}
	}
	for _, pkg := range namePackages(name) {
		idx, ok := p.pkgDefs[pkg]
		if !ok {
			idx = map[symKey]defRef{}
			objs := p.pkgObjs[pkg]
			if len(objs) == 0 && strings.Contains(pkg, "%") {
				objs = p.pkgObjs[unescape(pkg)]
			}
			for _, oi := range objs {
				o := p.objs[oi]
				for i := 0; i < o.ndef; i++ {
					if k := (symKey{o.symName(i), p.abiOf(o, i)}); k.abi >= 0 {
						if _, dup := idx[k]; !dup {
							idx[k] = defRef{oi, int32(i)}
						}
					}
				}
			}
			p.pkgDefs[pkg] = idx
		}
		if d, ok := idx[key]; ok {
			return p.define(d.obj, int(d.li))
		}
	}
	return -1
}

// namePackages: the import paths a symbol name may belong to (each prefix ending at a '.' after the
// last '/'), longest first.
func namePackages(name string) []string {
	name = strings.TrimPrefix(name, "type:")
	name = strings.TrimLeft(name, "*")
	if i := strings.IndexByte(name, '['); i >= 0 {
		name = name[:i]
	}
	slash := strings.LastIndexByte(name, '/')
	var out []string
	for i := len(name) - 1; i > slash; i-- {
		if name[i] == '.' {
			out = append(out, name[:i])
		}
	}
	return out
}

// resolve is loader.resolve: a symbol reference of object o as a global symbol (-1: none).
func (p *program) resolve(o *object, pkg, idx uint32) int32 {
	oi := p.objIndex(o)
	switch pkg {
	case 0:
		return -1
	case pkgIdxHashed64:
		return p.local(oi, o.ndef+int(idx))
	case pkgIdxHashed:
		return p.local(oi, o.ndef+o.nh64+int(idx))
	case pkgIdxNone:
		return p.local(oi, o.ndef+o.nh64+o.nh+int(idx))
	case pkgIdxBuiltin:
		if int(idx) >= len(p.builtins) {
			return -1
		}
		if p.builtins[idx] == -2 {
			b := p.tc.builtins[idx]
			abi := int32(b.abi)
			if abi == 1 && !o.regabi {
				abi = 0
			}
			p.builtins[idx] = p.lookup(b.name, abi)
		}
		return p.builtins[idx]
	case pkgIdxSelf:
		return p.local(oi, int(idx))
	}
	if int(pkg) >= len(o.pkgs) || o.pkgs[pkg] < 0 {
		return -1
	}
	q := o.pkgs[pkg]
	if int(idx) >= p.objs[q].ndef {
		return -1
	}
	return p.define(q, int(idx))
}

// local is the symbol of local index i of object oi: a definition, or a non-package reference.
func (p *program) local(oi int32, i int) int32 {
	o := p.objs[oi]
	if i < 0 || i >= len(o.syms) {
		return -1
	}
	if g := o.syms[i]; g >= 0 {
		return g
	}
	ndefs := o.ndef + o.nh64 + o.nh + o.nnpdef
	if i < ndefs {
		return p.define(oi, i)
	}
	// a non-package reference, by name
	name, abi := o.symName(i), p.abiOf(o, i)
	g := p.lookup(name, abi)
	if g < 0 {
		g = int32(len(p.syms))
		p.syms = append(p.syms, gsym{obj: -1, li: -1, name: name, abi: abi})
		p.byName[symKey{name, abi}] = g
	}
	if o.symFlag2(i)&symFlagUsedInIface != 0 {
		p.syms[g].uii = true
	}
	o.syms[i] = g
	return g
}

func (p *program) objIndex(o *object) int32 { return o.index }

// importcfg reads a link's importcfg: `packagefile PATH=FILE` lines, in order.
func importcfg(path string) ([][2]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out [][2]string
	for _, line := range strings.Split(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, "packagefile ")
		if !ok {
			continue
		}
		if k, v, ok := strings.Cut(rest, "="); ok {
			out = append(out, [2]string{k, v})
		}
	}
	return out, nil
}
