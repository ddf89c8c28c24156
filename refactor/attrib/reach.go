package main

// What the linker keeps, and why: cmd/link's reachability pass (deadcode.go) replayed on the Go
// objects of a link, and handed to gotrim's estimator (refactor/estimate.py) as a small graph.
//
//	attrib reach < {"packages": ..., "main": path, "importcfg": FILE, "dumpdep": FILE, "goroot": DIR,
//	               "goos": ..., "goarch": ..., "dynlink": bool, "decl_packages": [path, ...],
//	               "fixed": [path, ...], "follow": bool, "early": bool}
//
// With follow, standard input stays open until the build is over (see follow.go). With early (a build
// without -dumpdep), the model is answered as soon as it is made.
//
// The `-dumpdep` stream prints each reachable symbol once, with the first symbol that reached it: a
// tree, which cannot say what stays reachable when a part of the program goes (a function the tree
// puts under a removed package may be called from elsewhere too). The objects hold every edge. The
// replay follows the linker: relocations and auxiliary symbols, methods kept through a type
// converted to an interface when an interface call of the same signature is reachable (or any
// exported method once a <ReflectMethod> function is, or every method in dynamic-linking mode).
//
// go build prints the linker's output only once the link is over, so the replay starts from the
// linker's roots taken by its rules (ruleRoots) and runs while the linker works; the stream then
// checks it (how many of the names it lists the replay missed; a root it missed is replayed again).
// The linker's own symbols get their edges by its rules too (go:main.inittasks, runtime_inittasks).
//
// Besides the binary's own mode, the replay runs without the <ReflectMethod> rule (and, in dynamic-
// linking mode, without dynamic linking): each edge carries the set of these variants it holds in,
// so the estimator can tell what a cut that removes the last blocker gains. Methods kept for an
// interface call hang on two ends (AND edges): their type and a node standing for the call.
//
// Nodes: symbols with the same cut unit (the defining package; a top-level declaration for the
// packages in decl_packages; none for duplicated symbols: generic instantiations, type descriptors,
// wrappers, which go only when nothing reaches them) are merged along single incoming edges, and
// leaves without bytes are dropped; what no cut can take (reached through runtime and its
// dependencies alone) is left out. Weights: bytes in the file per owning package (the attribution's
// owner rules) and a fixed cost per symbol (its records), not counting DWARF, symbol tables or
// pclntab: the estimator scales them by each package's attributed bytes.

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

type reachRequest struct {
	Packages     [][2]*string `json:"packages"`
	Main         string       `json:"main"`
	Importcfg    string       `json:"importcfg"`
	Dumpdep      string       `json:"dumpdep"`
	Goroot       string       `json:"goroot"`
	Dynlink      bool         `json:"dynlink"`
	DeclPackages []string     `json:"decl_packages"`
	Fixed        []string     `json:"fixed"` // packages no cut removes (runtime and its dependencies)
	Goos         string       `json:"goos"`
	Goarch       string       `json:"goarch"`
	// follow the build while it runs: the stream file is being written, the importcfg is taken from
	// go's work directory (Importcfg names the copy kept after the build), standard input stays open
	// until the build is over
	Follow bool `json:"follow"`
	// the build writes no -dumpdep stream (only go's own lines): the model is answered once it is
	// made, while the linker still writes the binary, with nothing to check it against
	Early bool `json:"early"`
	// then answer walks of the model (walk.go) on standard input, until it ends or idles
	Serve bool `json:"serve"`
}

type reachVariant struct {
	Name    string `json:"name"`
	Reflect bool   `json:"reflect"` // a <ReflectMethod> function is reachable: exported methods kept
	Dynlink bool   `json:"dynlink"`
	Rule    bool   `json:"reflect_rule"` // whether the variant lets a reachable <ReflectMethod> keep methods
	Symbols int    `json:"symbols"`
	Bytes   int    `json:"bytes"`
}

type reachCheck struct {
	Simulated int      `json:"simulated"` // symbols the replay reached (unnamed and content-addressed included)
	Dumpdep   int      `json:"dumpdep"`   // symbols the stream lists
	Missing   int      `json:"missing"`   // named in the stream, not reached by the replay (go: and funcdata aside)
	Extra     int      `json:"extra"`     // named symbols the replay reached, not in the stream
	Examples  []string `json:"examples"`  // a few missing or extra names
}

// reachBlocker is a reached <ReflectMethod> function with one chain of symbols from a root down to it
// (the replay's first parents). Certain: it is reached without any method the <ReflectMethod> rule or
// dynamic linking keeps (so it is a cause, not a consequence of another blocker).
type reachBlocker struct {
	Symbol  string   `json:"symbol"`
	Chain   []string `json:"chain"` // root first, Symbol last; unnamed symbols left out
	Certain bool     `json:"certain"`
}

type reachModel struct {
	Version  int            `json:"version"`
	Variants []reachVariant `json:"variants"`
	Units    []string       `json:"units"`
	Owners   []string       `json:"owners"`
	Unit     []int32        `json:"unit"`    // per node: index in Units, -1 none
	Weights  [][]int        `json:"weights"` // per node: triples owner, bytes, overhead
	Graphs   []vgraph       `json:"graphs"`  // per variant
	Flagged  []int32        `json:"flagged"` // nodes holding a <ReflectMethod> function
	// quadruples t, s, m, variant mask: m is reached when both t and s are (methods kept for an
	// interface call of their signature: t the type, s the condition node)
	Ands       []int32    `json:"ands"`
	Conditions int        `json:"conditions"` // condition nodes (interface calls that keep methods)
	Check      reachCheck `json:"check"`
	// what keeps method dead-code elimination off, in place of the -dumpdep stream's <ReflectMethod>
	// marks when the link ran without -dumpdep
	Blockers      []reachBlocker `json:"blockers"`
	BlockersTotal int            `json:"blockers_total"` // reached <ReflectMethod> functions in all
	// per owner, the bytes of its symbols the linker kept (the weights' total)
	OwnerBytes map[string]int `json:"owner_bytes"`
	// per owner, the symbols' estimated fixed costs (symOverhead), all of them
	OwnerOverhead map[string]int `json:"owner_overhead"`
	// per owner, the bytes of its symbols no cut can take (left out of the graph)
	Always         map[string]int `json:"always"`
	AlwaysOverhead map[string]int `json:"always_overhead"`
}

// ---------------------------------------------------------------------------------------------------
// The replay

type methodsig struct {
	name string
	typ  int32
}

type methodref struct {
	src  int32  // the type
	roff uint32 // offset in its object of the first of three R_METHODOFF relocations
	m    methodsig
}

// cond is why a method of a type converted to an interface is kept: always (the <ReflectMethod>
// rule, dynamic linking), or while an interface call of its signature (or, from generic code, of
// its name) is reachable.
type cond struct {
	kind uint8
	sig  methodsig
}

const (
	condNone = iota
	condSig
	condName
)

type simVariant struct {
	reflectRule bool // the <ReflectMethod> rule may fire
	dynlink     bool
}

type sim struct {
	p                  *program
	v                  simVariant
	reach, uii         []bool
	parent             []int32 // per symbol: the symbol that first reached it; -1 a root, -2 none yet
	from               int32   // the symbol whose edges are being followed (-1: the roots)
	wq                 []int32
	ifaceMethod        map[methodsig]bool
	genericIfaceMethod map[string]bool
	markable           []methodref
	reflectSeen        bool
	extra              map[int32][]int32 // edges not in the objects (from the stream)
	// realized method edges: type -> method symbols marked for it
	methodEdges map[[2]int32]cond
	r           struct{ methodoff, usetype, useiface, useifacemethod, usenamedmethod, initorder int }
}

func newSim(p *program, v simVariant, extra map[int32][]int32) *sim {
	s := &sim{p: p, v: v, reach: make([]bool, len(p.syms)), uii: make([]bool, len(p.syms)),
		ifaceMethod: map[methodsig]bool{}, genericIfaceMethod: map[string]bool{}, extra: extra,
		methodEdges: map[[2]int32]cond{}, parent: make([]int32, len(p.syms)), from: -1}
	for i := range p.syms {
		s.uii[i] = p.syms[i].uii
		s.parent[i] = -2
	}
	t := p.tc
	s.r.methodoff, s.r.usetype, s.r.useiface = t.r("R_METHODOFF"), t.r("R_USETYPE"), t.r("R_USEIFACE")
	s.r.useifacemethod, s.r.usenamedmethod, s.r.initorder = t.r("R_USEIFACEMETHOD"), t.r("R_USENAMEDMETHOD"),
		t.r("R_INITORDER")
	return s
}

// fit grows the per-symbol marks to the symbols made so far (symbols are made as they are reached).
func (s *sim) fit() {
	for len(s.reach) < len(s.p.syms) {
		g := len(s.reach)
		s.reach = append(s.reach, false)
		s.uii = append(s.uii, s.p.syms[g].uii)
		s.parent = append(s.parent, -2)
	}
}

// reached reports whether the replay reached symbol g.
func (s *sim) reached(g int) bool { return g < len(s.reach) && s.reach[g] }

func (s *sim) mark(g int32) {
	s.fit()
	if g >= 0 && !s.reach[g] {
		s.reach[g] = true
		if s.parent[g] == -2 {
			s.parent[g] = s.from
		}
		s.wq = append(s.wq, g)
	}
}

func (s *sim) isType(g int32) bool { return s.p.syms[g].flag&symFlagGoType != 0 }

type reloc struct {
	off uint32
	typ int
	add int64
	sym int32
}

func (s *sim) relocAt(o *object, at uint32) reloc {
	b := o.b[at:]
	return reloc{off: binary.LittleEndian.Uint32(b), typ: int(binary.LittleEndian.Uint16(b[5:])),
		add: int64(binary.LittleEndian.Uint64(b[7:])),
		sym: s.p.resolve(o, binary.LittleEndian.Uint32(b[15:]), binary.LittleEndian.Uint32(b[19:]))}
}

// relocSym is the target of the relocation of g at offset off (decodeRelocSym), or -1.
func (s *sim) relocSym(g int32, off uint32) int32 {
	sy := s.p.syms[g]
	if sy.obj < 0 {
		return -1
	}
	o := s.p.objs[sy.obj]
	a, e := o.relocs(int(sy.li))
	for at := a; at < e; at += relocSize {
		if binary.LittleEndian.Uint32(o.b[at:]) == off {
			return s.relocAt(o, at).sym
		}
	}
	return -1
}

// nameAt decodes the reflect name the relocation of g at off points at (decodetypeName).
func (s *sim) nameAt(g int32, off uint32) string {
	r := s.relocSym(g, off)
	if r < 0 || s.p.syms[r].obj < 0 {
		return ""
	}
	sy := s.p.syms[r]
	data := s.p.objs[sy.obj].data(int(sy.li))
	if len(data) < 2 {
		return ""
	}
	n, l := binary.Uvarint(data[1:])
	if l <= 0 || 1+l+int(n) > len(data) {
		return ""
	}
	return string(data[1+l : 1+l+int(n)])
}

func (s *sim) flood() {
	p := s.p
	var methods []methodref
	for len(s.wq) > 0 {
		g := s.wq[len(s.wq)-1]
		s.wq = s.wq[:len(s.wq)-1]
		sy := &p.syms[g]
		s.from = g
		if sy.flag&symFlagReflectMethod != 0 && s.v.reflectRule {
			s.reflectSeen = true
		}
		for _, t := range s.extra[g] {
			s.mark(t)
		}
		if sy.obj < 0 {
			continue
		}
		o := p.objs[sy.obj]
		isType := sy.flag&symFlagGoType != 0
		if isType && s.v.dynlink {
			s.uii[g] = true
		}
		usedInIface := isType && s.uii[g]
		methods = methods[:0]
		a, e := o.relocs(int(sy.li))
		for at := a; at < e; at += relocSize {
			r := s.relocAt(o, at)
			s.fit()
			t := r.typ
			if t&relocWeak != 0 {
				if !(s.v.dynlink && p.tc.directCall[t&^relocWeak]) {
					continue
				}
				t &^= relocWeak
			}
			switch t {
			case s.r.methodoff:
				if at+2*relocSize >= e {
					at += 2 * relocSize
					continue
				}
				if usedInIface {
					methods = append(methods, methodref{src: g, roff: at})
					if rs := r.sym; rs >= 0 && !s.uii[rs] {
						s.uii[rs] = true
						if s.reach[rs] {
							s.reach[rs] = false
							s.mark(rs)
						}
					}
				}
				at += 2 * relocSize
				continue
			case s.r.usetype, s.r.initorder:
				continue
			case s.r.useiface:
				rs := r.sym
				if rs < 0 {
					continue
				}
				if p.syms[rs].flag2&symFlagItab != 0 {
					rs = s.itabType(rs)
					s.fit()
				}
				if rs >= 0 && !s.uii[rs] {
					s.uii[rs] = true
					if s.reach[rs] {
						s.reach[rs] = false
						s.mark(rs)
					}
				}
				continue
			case s.r.useifacemethod:
				if r.sym >= 0 {
					s.ifaceMethod[methodsig{s.nameAt(r.sym, uint32(r.add)), s.relocSym(r.sym, uint32(r.add)+4)}] = true
				}
				continue
			case s.r.usenamedmethod:
				if r.sym >= 0 && p.syms[r.sym].obj >= 0 {
					rs := p.syms[r.sym]
					s.genericIfaceMethod[string(p.objs[rs.obj].data(int(rs.li)))] = true
				}
				continue
			}
			rs := r.sym
			if rs < 0 {
				continue
			}
			if isType && usedInIface && s.isType(rs) && !s.uii[rs] {
				s.uii[rs] = true
				s.reach[rs] = false
			}
			s.mark(rs)
		}
		a, e = o.auxs(int(sy.li))
		for at := a; at < e; at += auxSize {
			if o.b[at] == auxGotype {
				continue
			}
			s.mark(p.resolve(o, binary.LittleEndian.Uint32(o.b[at+1:]), binary.LittleEndian.Uint32(o.b[at+5:])))
		}
		for _, m := range methods {
			r := s.relocAt(o, m.roff)
			m.m = methodsig{s.nameAt(g, r.off-4), r.sym}
			s.markable = append(s.markable, m)
		}
	}
}

// itabType is the type an itab is for (decodeItabType: the relocation at offset PtrSize... the
// itab's Type field, its second word).
func (s *sim) itabType(itab int32) int32 {
	sy := s.p.syms[itab]
	if sy.obj < 0 {
		return -1
	}
	o := s.p.objs[sy.obj]
	a, e := o.relocs(int(sy.li))
	// Inter at 0, Type at PtrSize: the second relocation by offset
	var best reloc
	found := 0
	for at := a; at < e; at += relocSize {
		r := s.relocAt(o, at)
		if r.off != 0 && (found == 0 || r.off < best.off) {
			best, found = r, 1
		}
	}
	if found == 0 {
		return -1
	}
	return best.sym
}

func exported(name string) bool {
	r, _ := utf8.DecodeRuneInString(name)
	return unicode.IsUpper(r)
}

func (s *sim) run(roots []int32) {
	s.from = -1
	// the last marked is flooded first: the entry point's (main.main's) part before the init tasks', as
	// the linker's first marks come (a blocker's chain then runs through main when it can, as the
	// -dumpdep stream's does)
	for i := len(roots) - 1; i >= 0; i-- {
		s.mark(roots[i])
	}
	s.resume()
}

// resume floods from the marked symbols and keeps methods until nothing more is reached (the
// linker's loop; after more marks, it goes on from where it stopped).
func (s *sim) resume() {
	s.flood()
	if s.v.dynlink && s.v.reflectRule {
		s.reflectSeen = true
	}
	for {
		rem := s.markable[:0]
		for _, m := range s.markable {
			var c cond
			switch {
			case s.reflectSeen && (exported(m.m.name) || s.v.dynlink):
				c = cond{}
			case s.ifaceMethod[m.m]:
				c = cond{kind: condSig, sig: m.m}
			case s.genericIfaceMethod[m.m.name]:
				c = cond{kind: condName, sig: methodsig{name: m.m.name, typ: -1}}
			default:
				rem = append(rem, m)
				continue
			}
			o := s.p.objs[s.p.syms[m.src].obj]
			s.from = m.src
			for k := uint32(0); k < 3; k++ {
				t := s.relocAt(o, m.roff+k*relocSize).sym
				if t >= 0 {
					key := [2]int32{m.src, t}
					if old, ok := s.methodEdges[key]; !ok || old.kind != condNone {
						s.methodEdges[key] = c
					}
					s.mark(t)
				}
			}
		}
		s.markable = rem
		if len(s.wq) == 0 {
			break
		}
		s.flood()
	}
}

// ---------------------------------------------------------------------------------------------------
// The stream

type dumpEdge struct{ from, to string }

func readDumpdep(path string) (roots []string, edges []dumpEdge, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Text()
		i := strings.Index(line, " -> ")
		if i < 0 {
			continue
		}
		from, to := stripFlags(line[:i]), stripFlags(line[i+4:])
		if to == "" {
			continue
		}
		if from == "_" {
			roots = append(roots, to)
		}
		edges = append(edges, dumpEdge{from, to})
	}
	return roots, edges, sc.Err()
}

func stripFlags(s string) string {
	for strings.HasSuffix(s, ">") {
		i := strings.LastIndex(s, " <")
		if i < 0 {
			break
		}
		s = s[:i]
	}
	return s
}

// ---------------------------------------------------------------------------------------------------
// The model

func reach(req reachRequest, paths []string, done <-chan struct{}) (*reachModel, error) {
	t0 := time.Now()
	phase := func(what string) { // GOTRIM_REACH_TIMES=FILE: the phases' times, appended to FILE (stderr is gotrim's)
		if path := os.Getenv("GOTRIM_REACH_TIMES"); path != "" {
			if f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
				fmt.Fprintf(f, "%8.3f %s\n", time.Since(t0).Seconds(), what)
				f.Close()
			}
		}
	}
	tc, err := loadToolchain(req.Goroot)
	if err != nil {
		return nil, err
	}
	if req.Early { // nothing to read of the stream once the model is made (a served model outlives it)
		made := make(chan struct{})
		defer close(made)
		done = eitherDone(done, made)
	}
	st := followStream(req.Dumpdep, done)
	cfg := req.Importcfg
	if req.Follow {
		if cfg, err = st.importcfgOf(req.Importcfg); err != nil {
			return nil, err
		}
	}
	archives, err := importcfg(cfg)
	if err != nil {
		return nil, err
	}
	for i, a := range archives {
		if a[0] == req.Main {
			archives[i][0] = "main"
		}
	}
	phase("importcfg")
	p, err := loadProgram(tc, archives)
	if err != nil {
		return nil, err
	}
	phase("objects loaded")
	// names -> symbols: named ones by name (ABIInternal first), the rest (static, hashed) when asked
	lookup := func(name string) int32 {
		if g := p.lookup(name, 1); g >= 0 {
			return g
		}
		return p.lookup(name, 0)
	}
	// linker-made symbols: a node each
	synth := func(name string) int32 {
		g := int32(len(p.syms))
		p.syms = append(p.syms, gsym{obj: -1, li: -1, name: name, abi: 0})
		p.byName[symKey{name, 0}] = g
		return g
	}
	// go build prints the linker's output when the link is over: the roots the stream will list are
	// taken by the linker's rules (deadcode.go init) so that the replay runs while the linker works,
	// and checked against the stream afterwards.
	var check reachCheck
	var reachedByName map[string]int32
	model := func(rootNames []string) *reachModel {
		var roots []int32
		for _, n := range rootNames {
			g := lookup(n)
			if g < 0 {
				g = synth(n)
			}
			roots = append(roots, g)
		}
		extra := map[int32][]int32{}
		initTasks(p, lookup, synth, extra)
		base := simVariant{reflectRule: true, dynlink: req.Dynlink}
		variants := []simVariant{base}
		names := []string{"binary"}
		if req.Dynlink {
			variants = append(variants, simVariant{reflectRule: true}, simVariant{})
			names = append(names, "without dynamic linking", "without dynamic linking or reflect methods")
		}
		sims := runAll(p, variants, roots, extra)
		if !req.Dynlink && sims[0].reflectSeen {
			variants = append(variants, simVariant{})
			names = append(names, "without reflect methods")
			sims = append(sims, runAll(p, variants[1:], roots, extra)...)
		}
		phase("replayed")
		keep := make([]bool, len(p.syms))
		if !req.Early { // the stream's names are checked against these afterwards
			reachedByName = make(map[string]int32, len(p.syms)/2)
		}
		check.Simulated = 0
		for g := range p.syms {
			if !sims[0].reached(g) {
				continue
			}
			keep[g] = true
			check.Simulated++
			if n := p.syms[g].name; n != "" && reachedByName != nil {
				reachedByName[n] = int32(g)
			}
		}
		m := buildModel(p, req, paths, sims, names, roots, keep, check)
		m.Blockers, m.BlockersTotal = blockers(p, sims, variants)
		phase("model")
		return m
	}
	rootNames := ruleRoots(p, req)
	m := model(rootNames)
	if req.Early {
		return m, nil
	}
	<-st.finished
	if st.err != nil {
		return nil, st.err
	}
	phase("stream read")
	// a root the rules missed: replay again with it (the model is made from the replay alone:
	// supplementing it with the stream's other edges the objects do not show changed estimates by
	// less than 0.3 % on the fixtures and seed)
	known := map[string]bool{}
	for _, n := range rootNames {
		known[n] = true
	}
	var more []string
	for _, n := range st.roots {
		if !known[n] {
			more = append(more, n)
		}
	}
	if len(more) > 0 {
		m = model(append(rootNames, more...))
		m.Check.Examples = append(m.Check.Examples, "roots from the stream: "+strings.Join(more, ", "))
	}
	// each name the stream lists once: looked up, not collected
	var examples []string
	found := 0
	for _, n := range st.names {
		if _, ok := reachedByName[n]; ok {
			found++
		} else if !strings.HasPrefix(n, "go:") && !hashedName(n) {
			m.Check.Missing++
			if len(examples) < 8 {
				examples = append(examples, "missing: "+n)
			}
		}
	}
	m.Check.Dumpdep = len(st.names)
	named := 0
	for n, g := range reachedByName {
		if p.syms[g].abi >= 0 && !hashedName(n) && !strings.HasPrefix(n, "go:") {
			named++
		}
	}
	if extra := named - found; extra > 0 {
		m.Check.Extra = extra // at most: names found include statics and go: names
	}
	m.Check.Examples = append(m.Check.Examples, examples...)
	phase("checked")
	return m, nil
}

// maxBlockers: the blockers a model lists (the -dumpdep report keeps a root cause and 20 more)
const maxBlockers = 21

// blockers are the <ReflectMethod> functions the binary's replay (sims[0]) reaches, certain ones first
// (reached in the variant without the rule and without dynamic linking), each with its chain of first
// parents in the variant that tells it certain, else in the binary's; then those whose chain goes
// through no type's kept method (the linker's first mark is such a one on node_exporter: a method kept
// for an interface call may come first by chain length), by chain length and name.
func blockers(p *program, sims []*sim, variants []simVariant) ([]reachBlocker, int) {
	plain := -1
	for i, v := range variants {
		if !v.reflectRule && !v.dynlink {
			plain = i
		}
	}
	var out []reachBlocker
	for g := range p.syms {
		if p.syms[g].flag&symFlagReflectMethod == 0 || !sims[0].reached(g) {
			continue
		}
		s := sims[0]
		certain := plain >= 0 && sims[plain].reached(g)
		if certain {
			s = sims[plain]
		}
		out = append(out, reachBlocker{Symbol: p.syms[g].name, Chain: s.chain(int32(g)), Certain: certain})
	}
	retained := make(map[string]bool, len(out))
	for _, b := range out {
		retained[b.Symbol] = throughMethod(b.Chain)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Certain != b.Certain {
			return a.Certain
		}
		if retained[a.Symbol] != retained[b.Symbol] {
			return !retained[a.Symbol]
		}
		if len(a.Chain) != len(b.Chain) {
			return len(a.Chain) < len(b.Chain)
		}
		return a.Symbol < b.Symbol
	})
	total := len(out)
	if len(out) > maxBlockers {
		out = out[:maxBlockers]
	}
	if out == nil {
		out = []reachBlocker{}
	}
	return out, total
}

// throughMethod: the chain goes through a method kept for its type (`type:pkg.T -> pkg.T.M`), so the
// blocker is probably a consequence of another (refactor/linker.py _retained).
func throughMethod(chain []string) bool {
	for i := 0; i+1 < len(chain); i++ {
		if strings.HasPrefix(chain[i], "type:") && !strings.HasPrefix(chain[i+1], "type:") &&
			!strings.HasPrefix(chain[i+1], "go:") {
			return true
		}
	}
	return false
}

// chain: the named symbols from a root down to g along first parents, root first.
func (s *sim) chain(g int32) []string {
	var rev []string
	for n := 0; g >= 0 && n < 4096; n++ {
		if name := s.p.syms[g].name; name != "" {
			rev = append(rev, name)
		}
		if int(g) >= len(s.parent) {
			break
		}
		g = s.parent[g]
	}
	for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
		rev[i], rev[j] = rev[j], rev[i]
	}
	return rev
}

// ruleRoots are the roots of the linker's pass for an executable (deadcode.go init): the entry
// point (_rt0_GOARCH_GOOS; main under external linking), runtime.unreachableMethod, the inittask
// list, and runtime/cgo's dynamic exports when cgo is linked.
func ruleRoots(p *program, req reachRequest) []string {
	names := []string{"_rt0_" + req.Goarch + "_" + req.Goos, "main", "runtime.unreachableMethod", "go:main.inittasks"}
	if _, ok := p.objByPkg["runtime/cgo"]; ok {
		names = append(names, "crosscall2", "_cgo_panic", "_cgo_topofstack")
	}
	var out []string
	for _, n := range names {
		if n == "go:main.inittasks" || p.lookup(n, 0) >= 0 || p.lookup(n, 1) >= 0 {
			out = append(out, n)
		}
	}
	return out
}

// hashedName: the stream names funcdata and other content-addressed symbols after whichever object
// the linker read first; the replay keeps one per object under its own name.
func hashedName(n string) bool {
	return strings.HasSuffix(n, ".arginfo0") || strings.HasSuffix(n, ".arginfo1") ||
		strings.HasSuffix(n, ".argliveinfo") || strings.HasSuffix(n, ".stkobj") || strings.HasSuffix(n, ".opendefer") ||
		strings.HasSuffix(n, ".wrapinfo") || strings.HasPrefix(n, "runtime.gcbits.") || strings.HasPrefix(n, "gclocals")
}

// runAll replays each variant.
func runAll(p *program, variants []simVariant, roots []int32, extra map[int32][]int32) []*sim {
	// in turn: the replay makes symbols as it reaches them
	sims := make([]*sim, len(variants))
	for i, v := range variants {
		sims[i] = newSim(p, v, extra)
		sims[i].run(roots)
	}
	return sims
}

// initTasks gives the linker's inittask lists their edges (inittask.go): go:main.inittasks lists the
// inittask of every package main's reaches through R_INITORDER that has functions to run, and
// runtime.runtime_inittasks points at go:runtime.inittasks, runtime's own.
func initTasks(p *program, lookup func(string) int32, synth func(string) int32, extra map[int32][]int32) {
	order := p.tc.r("R_INITORDER")
	list := func(root int32) (out []int32) {
		seen := map[int32]bool{root: true}
		q := []int32{root}
		for len(q) > 0 {
			x := q[len(q)-1]
			q = q[:len(q)-1]
			if p.syms[x].size > 8 {
				out = append(out, x)
			}
			sy := p.syms[x]
			if sy.obj < 0 {
				continue
			}
			o := p.objs[sy.obj]
			a, e := o.relocs(int(sy.li))
			for at := a; at < e; at += relocSize {
				if int(binary.LittleEndian.Uint16(o.b[at+5:])) != order {
					continue
				}
				t := p.resolve(o, binary.LittleEndian.Uint32(o.b[at+15:]), binary.LittleEndian.Uint32(o.b[at+19:]))
				if t >= 0 && !seen[t] {
					seen[t] = true
					q = append(q, t)
				}
			}
		}
		return out
	}
	if m := lookup("main..inittask"); m >= 0 {
		g := lookup("go:main.inittasks")
		if g < 0 {
			g = synth("go:main.inittasks")
		}
		extra[g] = append(extra[g], list(m)...)
	}
	if r, rt := lookup("runtime..inittask"), lookup("runtime.runtime_inittasks"); r >= 0 && rt >= 0 {
		g := synth("go:runtime.inittasks")
		extra[g] = append(extra[g], list(r)...)
		extra[rt] = append(extra[rt], g)
	}
}

// unitOf: the cut unit of a symbol (see the file comment); "" none.
func unitOf(p *program, g int32, decl map[string]string) string {
	sy := p.syms[g]
	if sy.obj < 0 || sy.dupok || sy.abi < 0 || sy.name == "" {
		return ""
	}
	pkg := p.objs[sy.obj].pkg
	prefix, ok := decl[pkg]
	if !ok {
		return pkg
	}
	return pkg + "\t" + declKey(sy.name, prefix)
}

// declKey is the top-level declaration a symbol of a package comes from, as the estimator names
// them: F, T (its type descriptor), T.M (methods, pointer receivers included), v, init.N; closures,
// wrappers and instantiations go with their declaration; "" for the package's own (inittask, static data).
func declKey(name, prefix string) string {
	rest := strings.TrimPrefix(name, "type:")
	rest = strings.TrimLeft(rest, "*")
	rest, ok := strings.CutPrefix(rest, prefix+".")
	if !ok {
		return ""
	}
	rest = stripBrackets(rest)
	if strings.HasPrefix(rest, "(*") {
		if i := strings.Index(rest, ")"); i > 0 {
			rest = rest[2:i] + rest[i+1:]
		}
	}
	rest = strings.TrimSuffix(rest, "-fm")
	parts := strings.Split(rest, ".")
	if parts[0] == "" {
		return ""
	}
	if parts[0] == "init" {
		if len(parts) > 1 && isDigits(parts[1]) {
			return "init." + parts[1]
		}
		return "init"
	}
	out := parts[0]
	if len(parts) > 1 && !closurePart(parts[1]) && parts[1] != "" {
		out += "." + parts[1]
	}
	return out
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func closurePart(s string) bool {
	for _, p := range []string{"func", "gowrap", "deferwrap"} {
		if rest, ok := strings.CutPrefix(s, p); ok && isDigits(rest) {
			return true
		}
	}
	return isDigits(s) || s == "stkobj" || strings.HasPrefix(s, "arginfo") || s == "argliveinfo" ||
		s == "opendefer" || s == "wrapinfo" || s == "abi0"
}

func buildModel(p *program, req reachRequest, paths []string, sims []*sim, names []string, roots []int32,
	keep []bool, check reachCheck) *reachModel {
	decl := map[string]string{}
	for _, d := range req.DeclPackages {
		pkg := d
		if d == req.Main {
			pkg = "main"
		}
		decl[pkg] = pathToPrefix(pkg)
	}
	fixed := map[string]bool{}
	for _, f := range req.Fixed {
		fixed[f] = true
	}
	mp := newMapper(append(append([]string(nil), paths...), req.Main), req.Main)
	tc := p.tc
	// nodes: the kept symbols, DWARF left out; then one node per condition that keeps methods
	id := make([]int32, len(p.syms))
	var syms []int32
	for g := range p.syms {
		id[g] = -1
		if keep[g] && !tc.dwarfKind[int(p.syms[g].kind)] {
			id[g] = int32(len(syms))
			syms = append(syms, int32(g))
		}
	}
	idOf := func(g int32) int32 {
		if g < 0 {
			return -1
		}
		return id[g]
	}
	full := int32(1)<<len(sims) - 1
	condNode := map[cond]int32{}
	var ands []andEdge
	var plainMethods []andEdge // from, -, to, mask
	n := int32(len(syms))
	for vi, sv := range sims {
		// in a fixed order, so that the condition nodes' numbers and the AND edges' order are the
		// same on every run
		keys := make([][2]int32, 0, len(sv.methodEdges))
		for k := range sv.methodEdges {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(x, y [2]int32) int {
			if c := cmp.Compare(x[0], y[0]); c != 0 {
				return c
			}
			return cmp.Compare(x[1], y[1])
		})
		for _, k := range keys {
			c := sv.methodEdges[k]
			a, b := idOf(k[0]), idOf(k[1])
			if a < 0 || b < 0 || a == b {
				continue
			}
			if c.kind == condNone {
				plainMethods = append(plainMethods, andEdge{a, -1, b, int32(1) << vi})
				continue
			}
			cn, ok := condNode[c]
			if !ok {
				cn = n + int32(len(condNode))
				condNode[c] = cn
			}
			ands = append(ands, andEdge{a, cn, b, int32(1) << vi})
		}
	}
	total := int(n) + len(condNode)
	gr := newGraph(total)
	aux := make([]bool, total) // funcdata and pcdata: their bytes are the pclntab's, counted by the scale
	s0 := sims[0]
	for _, g := range syms {
		sy := p.syms[g]
		from := id[g]
		for _, t := range s0.extra[g] {
			gr.add(from, idOf(t), full)
		}
		if sy.obj < 0 {
			continue
		}
		o := p.objs[sy.obj]
		a, e := o.relocs(int(sy.li))
		for at := a; at < e; at += relocSize {
			r := s0.relocAt(o, at)
			t := r.typ
			if t&relocWeak != 0 {
				if !(req.Dynlink && tc.directCall[t&^relocWeak]) {
					continue
				}
				t &^= relocWeak
			}
			switch t {
			case s0.r.methodoff:
				at += 2 * relocSize
				continue
			case s0.r.usetype, s0.r.initorder, s0.r.useiface:
				continue
			case s0.r.useifacemethod: // the call of an interface method: its condition node
				if r.sym >= 0 {
					c := cond{kind: condSig, sig: methodsig{s0.nameAt(r.sym, uint32(r.add)), s0.relocSym(r.sym, uint32(r.add)+4)}}
					if cn, ok := condNode[c]; ok {
						gr.add(from, cn, full)
					}
				}
				continue
			case s0.r.usenamedmethod:
				if r.sym >= 0 && p.syms[r.sym].obj >= 0 {
					rs := p.syms[r.sym]
					c := cond{kind: condName, sig: methodsig{name: string(p.objs[rs.obj].data(int(rs.li))), typ: -1}}
					if cn, ok := condNode[c]; ok {
						gr.add(from, cn, full)
					}
				}
				continue
			}
			if r.sym >= 0 {
				// a weak call is strong only in dynamic-linking mode: only the binary's variant has it
				mask := full
				if r.typ&relocWeak != 0 {
					mask = 1
				}
				gr.add(from, idOf(r.sym), mask)
			}
		}
		a, e = o.auxs(int(sy.li))
		for at := a; at < e; at += auxSize {
			if o.b[at] == auxGotype {
				continue
			}
			t := idOf(p.resolve(o, binary.LittleEndian.Uint32(o.b[at+1:]), binary.LittleEndian.Uint32(o.b[at+5:])))
			if t >= 0 {
				aux[t] = true
				gr.add(from, t, full)
			}
		}
	}
	for _, e := range plainMethods {
		gr.add(e.t, e.m, e.mask)
	}
	// weights and units per node
	m := &reachModel{Version: 2, Check: check, OwnerBytes: map[string]int{}, OwnerOverhead: map[string]int{},
		Always: map[string]int{}, AlwaysOverhead: map[string]int{}}
	unitIdx := map[string]int32{}
	ownerIdx := map[string]int32{}
	unit := make([]int32, total)
	cuttable := make([]bool, total)
	weights := make([][]wt, total)
	for i := range unit {
		unit[i] = -1
	}
	for i, g := range syms {
		if u := unitOf(p, g, decl); u != "" {
			k, ok := unitIdx[u]
			if !ok {
				k = int32(len(m.Units))
				unitIdx[u] = k
				m.Units = append(m.Units, u)
			}
			unit[i] = k
			cuttable[i] = !fixed[p.objs[p.syms[g].obj].pkg]
		}
		sy := p.syms[g]
		if sy.obj < 0 || aux[i] || !tc.dataKind[int(sy.kind)] || sy.size == 0 || sy.name == "" {
			continue
		}
		o := mp.owner1(sy.name) // each symbol's own name, once: nothing to remember
		if !o.isPkg() {
			continue
		}
		k, ok := ownerIdx[o.name]
		if !ok {
			k = int32(len(m.Owners))
			ownerIdx[o.name] = k
			m.Owners = append(m.Owners, o.name)
		}
		oh := symOverhead(sy, tc)
		weights[i] = append(weights[i], wt{k, sy.size, oh})
		m.OwnerBytes[o.name] += sy.size
		m.OwnerOverhead[o.name] += oh
	}
	pinned := make([]bool, total) // kept whatever their bytes: flagged nodes, the ends of AND edges
	flagged := make([]bool, total)
	for i, g := range syms {
		flagged[i] = p.syms[g].flag&symFlagReflectMethod != 0
		pinned[i] = flagged[i]
	}
	rootMask := make([]int32, total)
	for _, r := range roots {
		if id[r] >= 0 {
			rootMask[id[r]] = full
		}
	}
	m.Variants = make([]reachVariant, len(sims))
	for vi, sv := range sims {
		v := reachVariant{Name: names[vi], Reflect: sv.reflectSeen, Dynlink: sv.v.dynlink, Rule: sv.v.reflectRule}
		for i, g := range syms {
			if sv.reached(int(g)) {
				v.Symbols++
				for _, w := range weights[i] {
					v.Bytes += w.bytes
				}
			}
		}
		m.Variants[vi] = v
	}
	gr.finish()
	// What no cut can take: reached from the roots through symbols of packages no cut removes
	// (runtime and its dependencies) or of no package, along edges that hold in every variant. Such
	// nodes are left out; what they point at is reached whatever is cut (unless it is cut itself).
	andsOf := make(map[int32][]int, len(ands))
	for k, e := range ands {
		andsOf[e.t] = append(andsOf[e.t], k)
		andsOf[e.s] = append(andsOf[e.s], k)
	}
	always := make([]bool, total)
	var stack []int32
	reach := func(v int32) {
		if !always[v] && !cuttable[v] {
			always[v] = true
			stack = append(stack, v)
		}
	}
	for i := int32(0); i < int32(total); i++ {
		if rootMask[i] == full {
			reach(i)
		}
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, e := range gr.out(v) {
			if e.mask == full {
				reach(e.to)
			}
		}
		for _, k := range andsOf[v] {
			if e := ands[k]; e.mask == full && always[e.t] && always[e.s] {
				reach(e.m)
			}
		}
	}
	for i := 0; i < total; i++ {
		if !always[i] {
			continue
		}
		for _, e := range gr.out(int32(i)) {
			rootMask[e.to] |= e.mask
		}
		for _, w := range weights[i] {
			m.Always[m.Owners[w.owner]] += w.bytes
			m.AlwaysOverhead[m.Owners[w.owner]] += w.overhead
		}
	}
	// AND edges with an always-reached end are plain edges from the other end (or root marks)
	var rest []andEdge
	for _, e := range ands {
		switch {
		case always[e.m]:
		case always[e.t] && always[e.s]:
			rootMask[e.m] |= e.mask
		case always[e.s]:
			gr.adj[e.t] = append(gr.adj[e.t], gedge{e.m, e.mask})
		case always[e.t]:
			gr.adj[e.s] = append(gr.adj[e.s], gedge{e.m, e.mask})
		default:
			rest = append(rest, e)
		}
	}
	ands = rest
	gr.finish()
	live := make([]bool, total)
	andTarget := make([]bool, total)
	for i := range live {
		live[i] = !always[i]
	}
	for _, e := range ands {
		pinned[e.t], pinned[e.s], andTarget[e.m] = true, true, true
	}
	rep := contract(gr, live, unit, rootMask, andTarget, full, weights, flagged, pinned)
	// output
	newID := make([]int32, total)
	usedUnits := map[int32]int32{}
	units := m.Units
	m.Units = []string{}
	for i := 0; i < total; i++ {
		newID[i] = -1
		if !live[i] {
			continue
		}
		newID[i] = int32(len(m.Unit))
		u := int32(-1)
		if unit[i] >= 0 && cuttable[i] {
			k, ok := usedUnits[unit[i]]
			if !ok {
				k = int32(len(m.Units))
				usedUnits[unit[i]] = k
				m.Units = append(m.Units, units[unit[i]])
			}
			u = k
		}
		m.Unit = append(m.Unit, u)
		// triples owner, bytes, overhead: one per owner, by owner
		own := weights[i]
		slices.SortFunc(own, func(x, y wt) int { return cmp.Compare(x.owner, y.owner) })
		var ws []int
		for _, w := range own {
			if k := len(ws); k > 0 && ws[k-3] == int(w.owner) {
				ws[k-2] += w.bytes
				ws[k-1] += w.overhead
			} else {
				ws = append(ws, int(w.owner), w.bytes, w.overhead)
			}
		}
		m.Weights = append(m.Weights, ws)
		if flagged[i] {
			m.Flagged = append(m.Flagged, newID[i])
		}
	}
	seenAnd := map[andEdge]bool{}
	var outAnds []andEdge
	for _, e := range ands {
		t, s, mm := rep[e.t], rep[e.s], rep[e.m]
		if t < 0 || s < 0 || mm < 0 || !live[t] || !live[s] || !live[mm] {
			continue
		}
		k := andEdge{newID[t], newID[s], newID[mm], e.mask}
		if !seenAnd[k] {
			seenAnd[k] = true
			outAnds = append(outAnds, k)
			m.Ands = append(m.Ands, k.t, k.s, k.m, k.mask)
		}
	}
	nn := len(m.Unit)
	type medge struct{ to, mask int32 }
	adj := make([][]medge, nn)
	for i := 0; i < total; i++ {
		if !live[i] {
			continue
		}
		for _, e := range gr.out(int32(i)) {
			if live[e.to] && e.to != int32(i) {
				adj[newID[i]] = append(adj[newID[i]], medge{newID[e.to], e.mask})
			}
		}
	}
	nodeRoots := make([]int32, nn)
	for i := 0; i < total; i++ {
		if live[i] {
			nodeRoots[newID[i]] = rootMask[i]
		}
	}
	for vi := range sims {
		bit := int32(1) << vi
		succ := make([][]int32, nn)
		for v, es := range adj {
			for _, e := range es {
				if e.mask&bit != 0 {
					succ[v] = append(succ[v], e.to)
				}
			}
		}
		var vroots []int32
		for v, r := range nodeRoots {
			if r&bit != 0 {
				vroots = append(vroots, int32(v))
			}
		}
		var vands []andEdge
		for _, e := range outAnds {
			if e.mask&bit != 0 {
				vands = append(vands, e)
			}
		}
		m.Graphs = append(m.Graphs, variantGraph(nn, succ, vroots, vands))
	}
	m.Conditions = len(condNode)
	if m.Flagged == nil {
		m.Flagged = []int32{}
	}
	if m.Ands == nil {
		m.Ands = []int32{}
	}
	return m
}

// vgraph is the graph of one variant: successors by the edges that hold in it, the nodes reached
// whatever is cut, and the nodes it does not reach even without a cut.
type vgraph struct {
	Succ   [][]int32 `json:"succ"`
	Roots  []int32   `json:"roots"`
	Absent []int32   `json:"absent"`
}

func variantGraph(n int, succ [][]int32, roots []int32, ands []andEdge) vgraph {
	g := vgraph{Succ: succ, Roots: roots, Absent: []int32{}}
	for i := range g.Succ {
		if g.Succ[i] == nil {
			g.Succ[i] = []int32{}
		}
	}
	if g.Roots == nil {
		g.Roots = []int32{}
	}
	present := make([]bool, n)
	andsOf := map[int32][]andEdge{}
	for _, e := range ands {
		andsOf[e.t] = append(andsOf[e.t], e)
		andsOf[e.s] = append(andsOf[e.s], e)
	}
	var stack []int32
	visit := func(v int32) {
		if !present[v] {
			present[v] = true
			stack = append(stack, v)
		}
	}
	for _, r := range roots {
		visit(r)
	}
	for len(stack) > 0 {
		v := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, w := range succ[v] {
			visit(w)
		}
		for _, e := range andsOf[v] {
			if present[e.t] && present[e.s] {
				visit(e.m)
			}
		}
	}
	for v := range present {
		if !present[v] {
			g.Absent = append(g.Absent, int32(v))
		}
	}
	return g
}

// andEdge: m is kept when both t (a type converted to an interface) and s (the condition: an
// interface call of the method's signature) are.
type andEdge struct{ t, s, m, mask int32 }

type wt struct {
	owner    int32
	bytes    int
	overhead int
}

// symOverhead estimates the bytes a symbol costs besides its own, whatever its size: its symbol
// table entry and name; for a function also its pclntab record (name, _func, ftab entry, pcdata
// and funcdata offsets) and its DWARF subprogram entry and frame description. The estimator prices
// the rest of a package's attributed bytes per byte of its symbols, so a package that loses many
// small functions (methods, when method DCE comes back) loses their records too.
func symOverhead(sy gsym, tc *toolchain) int {
	name := len(sy.name) + 1
	if sy.abi < 0 { // static: no symbol table entry
		return 0
	}
	oh := 24 + name
	if tc.textKind[int(sy.kind)] {
		oh += 8 + 48 + name + 40 + 24 + name
	}
	return oh
}

// graph: edges by source, deduplicated (masks or'ed), built then finished into sorted adjacency.
type gedge struct{ to, mask int32 }

type graph struct {
	adj  [][]gedge
	done bool
}

func newGraph(n int) *graph { return &graph{adj: make([][]gedge, n)} }

func (g *graph) add(a, b, mask int32) {
	if a < 0 || b < 0 || a == b {
		return
	}
	g.adj[a] = append(g.adj[a], gedge{b, mask})
}

// finish sorts each node's edges and merges duplicates.
func (g *graph) finish() {
	for i, es := range g.adj {
		g.adj[i] = dedupe(es)
	}
	g.done = true
}

func dedupe(es []gedge) []gedge {
	if len(es) < 2 {
		return es
	}
	slices.SortFunc(es, func(x, y gedge) int { return cmp.Compare(x.to, y.to) }) // the masks of equal ends are merged: any order
	out := es[:1]
	for _, e := range es[1:] {
		if last := &out[len(out)-1]; last.to == e.to {
			last.mask |= e.mask
		} else {
			out = append(out, e)
		}
	}
	return out
}

func (g *graph) out(v int32) []gedge { return g.adj[v] }

// contract merges a live node into its only live predecessor when both have the same cut unit (or
// the node has none), the edge holds in every variant and the node is no root and no AND edge's
// target; merged nodes' edges, weights and flags go to the one they join. Then live leaves with no
// bytes, flag or pin go. It returns each node's representative (-1: dropped).
func contract(gr *graph, live []bool, unit []int32, rootMask []int32, andTarget []bool, full int32,
	weights [][]wt, flagged, pinned []bool) []int32 {
	n := len(live)
	rep := make([]int32, n)
	for i := range rep {
		rep[i] = int32(i)
	}
	for round := 0; round < 6; round++ {
		preds := make([]int32, n) // -1 none yet, -2 several
		pmask := make([]int32, n)
		for i := range preds {
			preds[i] = -1
		}
		for a := int32(0); a < int32(n); a++ {
			if !live[a] {
				continue
			}
			for _, e := range gr.adj[a] {
				b := e.to
				if !live[b] || b == a {
					continue
				}
				switch preds[b] {
				case -1:
					preds[b], pmask[b] = a, e.mask
				case a:
					pmask[b] |= e.mask
				default:
					preds[b] = -2
				}
			}
		}
		// merge along chains: into the predecessor's final representative
		into := make([]int32, n)
		for i := range into {
			into[i] = int32(i)
		}
		find := func(x int32) int32 {
			for into[x] != x {
				into[x] = into[into[x]]
				x = into[x]
			}
			return x
		}
		merged := 0
		for b := int32(0); b < int32(n); b++ {
			a := preds[b]
			if !live[b] || a < 0 || rootMask[b] != 0 || andTarget[b] || pmask[b] != full {
				continue
			}
			ra := find(a)
			if ra == b || (unit[b] != -1 && unit[b] != unit[ra]) {
				continue
			}
			into[b] = ra
			merged++
		}
		if merged == 0 {
			break
		}
		for b := int32(0); b < int32(n); b++ {
			r := find(b)
			if r == b || !live[b] {
				continue
			}
			weights[r] = append(weights[r], weights[b]...)
			weights[b] = nil
			flagged[r] = flagged[r] || flagged[b]
			pinned[r] = pinned[r] || pinned[b]
			gr.adj[r] = append(gr.adj[r], gr.adj[b]...)
			gr.adj[b] = nil
			live[b] = false
		}
		for i := range rep {
			if rep[i] >= 0 {
				rep[i] = find(rep[i])
			}
		}
		for a := int32(0); a < int32(n); a++ {
			if !live[a] {
				continue
			}
			es := gr.adj[a][:0]
			for _, e := range gr.adj[a] {
				e.to = find(e.to)
				if e.to != a {
					es = append(es, e)
				}
			}
			gr.adj[a] = dedupe(es)
		}
		if merged < n/500 {
			break
		}
	}
	// drop leaves without bytes (repeatedly)
	outdeg := make([]int, n)
	predsOf := make([][]int32, n)
	for a := int32(0); a < int32(n); a++ {
		if !live[a] {
			continue
		}
		for _, e := range gr.adj[a] {
			if live[e.to] {
				outdeg[a]++
				predsOf[e.to] = append(predsOf[e.to], a)
			}
		}
	}
	useless := func(i int32) bool {
		return live[i] && outdeg[i] == 0 && len(weights[i]) == 0 && !flagged[i] && !pinned[i]
	}
	var stack []int32
	for i := int32(0); i < int32(n); i++ {
		if useless(i) {
			stack = append(stack, i)
		}
	}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if !useless(i) {
			continue
		}
		live[i] = false
		for _, a := range predsOf[i] {
			outdeg[a]--
			if useless(a) {
				stack = append(stack, a)
			}
		}
	}
	for i := range rep {
		if rep[i] >= 0 && !live[rep[i]] {
			rep[i] = -1
		}
	}
	return rep
}

func reachMain(req reachRequest, paths []string, done <-chan struct{}) (*reachModel, error) {
	m, err := reach(req, paths, done)
	if err != nil {
		return nil, fmt.Errorf("reachability: %v", err)
	}
	return m, nil
}
