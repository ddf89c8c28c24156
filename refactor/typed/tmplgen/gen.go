package tmplgen

import (
	"bytes"
	"fmt"
	"go/format"
	"go/token"
	"go/types"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template/parse"
)

// value is the generator's view of a reflect.Value that the template's execution would hold.
type value struct {
	x       string     // Go expression of type t (of type *t when addr); side-effect free
	t       types.Type // static type; nil for the invalid reflect.Value (unless missing)
	addr    bool       // reflect's CanAddr: x is a pointer to the value
	ok      string     // "" when always valid, else a Go bool variable: valid iff true
	dyn     bool       // the value came out of an interface: x (of interface type t) holds it, nil is invalid
	missing bool       // text/template's missingVal: no final argument
	orig    types.Type // when t is an interface only carrying a value of this static type
}

func (v value) invalid() bool { return v.t == nil && !v.missing }

// val is a Go expression for the value itself.
func (v value) val() string {
	if v.addr {
		return "(*" + v.x + ")"
	}
	return v.x
}

// deadEnd unwinds the generator after an unconditional return: the rest of the block is unreachable.
type deadEnd struct{}

type tvar struct {
	name string
	v    value
}

type fnState struct {
	out  *bytes.Buffer
	tmpl string
	tree *parse.Tree
	node parse.Node
	// callNode is the node "error calling" reports (evalCall's s.at(node) before that error).
	callNode parse.Node
	vars     []tvar
	n        int
	loops    int // range bodies open
}

type tmplFunc struct {
	name   string
	dot    value // descriptor only; x is the parameter name
	goName string
}

type gen struct {
	req     *Request
	minor   int
	set     *tmplSet
	ms      methodSets
	imports map[string]string
	taken   map[string]bool
	helpers map[string]bool
	texts   map[string]string
	textOrd []string
	funcs   []*tmplFunc
	queue   []*tmplFunc
	fn      *fnState
	decls   bytes.Buffer
	names   []string
	rv      types.Type // stands for reflect.Value in builtin signatures
	anyT    types.Type
}

func newGen(req *Request, minor int, set *tmplSet) *gen {
	g := &gen{req: req, minor: minor, set: set, imports: map[string]string{}, taken: map[string]bool{},
		helpers: map[string]bool{}, texts: map[string]string{}}
	for _, name := range req.Pkg.Scope().Names() {
		g.taken[name] = true
	}
	rvPkg := types.NewPackage("reflect", "reflect")
	g.rv = types.NewNamed(types.NewTypeName(token.NoPos, rvPkg, "Value", nil), types.NewStruct(nil, nil), nil)
	g.anyT = types.NewInterfaceType(nil, nil).Complete()
	return g
}

// ---------------------------------------------------------------------------------------------------
// refusals, names, imports

func (g *gen) refuse(format string, args ...any) {
	r := &Refusal{Template: g.set.entry, Reason: fmt.Sprintf(format, args...)}
	if g.fn != nil {
		r.Template = g.fn.tmpl
		if g.fn.node != nil && g.fn.tree != nil {
			loc, ctx := g.fn.tree.ErrorContext(g.fn.node)
			r.Pos, r.Action = loc, ctx
		}
	}
	panic(refusal{r})
}

// top reserves a package-level name built from the prefix.
func (g *gen) top(base string) string {
	name := g.req.Prefix + base
	for i := 2; g.taken[name]; i++ {
		name = g.req.Prefix + base + strconv.Itoa(i)
	}
	g.taken[name] = true
	g.names = append(g.names, name)
	return name
}

var stdNames = map[string]string{
	"fmt": "fmt", "io": "io", "reflect": "reflect", "sort": "sort", "strings": "strings",
	"unicode": "unicode", "unicode/utf8": "utf8", "net/url": "url", "runtime": "runtime", "errors": "errors",
}

// std imports a standard package the generated code names by its usual name.
func (g *gen) std(path string) string {
	name := stdNames[path]
	if g.imports[path] == "" {
		if g.taken[name] {
			g.refuse("the package declares %q, the name the generated code needs for import %q", name, path)
		}
		g.imports[path] = name
		g.taken[name] = true
	}
	return name
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9_]`)

func (g *gen) importPkg(path, name string) string {
	if path == g.req.Pkg.Path() {
		return ""
	}
	if n, ok := g.imports[path]; ok {
		return n
	}
	if name == "" {
		name = defaultImportName(path)
		if strings.HasPrefix(name, "v") && len(name) > 1 && strings.Trim(name[1:], "0123456789") == "" {
			if i := strings.LastIndex(path, "/"); i > 0 {
				name = defaultImportName(path[:i])
			}
		}
		name = strings.TrimSuffix(name, ".v"+strings.TrimLeft(name, "abcdefghijklmnopqrstuvwxyz.-_"))
		name = nonIdent.ReplaceAllString(name, "_")
	}
	base := name
	for i := 2; g.taken[name]; i++ {
		name = base + strconv.Itoa(i)
	}
	g.taken[name] = true
	g.imports[path] = name
	return name
}

// importAs imports path under the name a module's expression uses.
func (g *gen) importAs(path, name string) {
	if name == "" {
		name = defaultImportName(path)
	}
	if have, ok := g.imports[path]; ok {
		if have != name {
			g.refuse("a function expression needs %q imported as %s, the generated code imports it as %s", path, name, have)
		}
		return
	}
	if g.taken[name] {
		g.refuse("a function expression needs %q imported as %s, a name already used", path, name)
	}
	g.taken[name] = true
	g.imports[path] = name
}

func (g *gen) qualifier(p *types.Package) string {
	if p.Path() == g.req.Pkg.Path() {
		return ""
	}
	return g.importPkg(p.Path(), p.Name())
}

// typeName spells t in the generated file, refusing types that file cannot name.
func (g *gen) typeName(t types.Type) string {
	if why := g.unnameable(t, map[types.Type]bool{}); why != "" {
		g.refuse("the generated code would need to name type %s, but %s", reflectString(t), why)
	}
	return types.TypeString(t, g.qualifier)
}

func (g *gen) unnameable(t types.Type, seen map[types.Type]bool) string {
	if seen[t] {
		return ""
	}
	seen[t] = true
	samePkg := func(p *types.Package) bool { return p == nil || p.Path() == g.req.Pkg.Path() }
	switch t := t.(type) {
	case *types.Named:
		if !t.Obj().Exported() && !samePkg(t.Obj().Pkg()) {
			return "it is not exported by its package"
		}
		if t.Obj().Pkg() != nil && t.Obj().Pkg().Name() == "main" && !samePkg(t.Obj().Pkg()) {
			return "it belongs to another main package"
		}
		if args := t.TypeArgs(); args != nil {
			for i := 0; i < args.Len(); i++ {
				if w := g.unnameable(args.At(i), seen); w != "" {
					return w
				}
			}
		}
	case *types.Alias:
		return g.unnameable(types.Unalias(t), seen)
	case *types.TypeParam:
		return "it is a type parameter"
	case *types.Pointer:
		return g.unnameable(t.Elem(), seen)
	case *types.Slice:
		return g.unnameable(t.Elem(), seen)
	case *types.Array:
		return g.unnameable(t.Elem(), seen)
	case *types.Chan:
		return g.unnameable(t.Elem(), seen)
	case *types.Map:
		if w := g.unnameable(t.Key(), seen); w != "" {
			return w
		}
		return g.unnameable(t.Elem(), seen)
	case *types.Struct:
		for i := 0; i < t.NumFields(); i++ {
			f := t.Field(i)
			if !f.Exported() && !samePkg(f.Pkg()) {
				return "its field " + f.Name() + " is not exported by its package"
			}
			if w := g.unnameable(f.Type(), seen); w != "" {
				return w
			}
		}
	case *types.Interface:
		for i := 0; i < t.NumMethods(); i++ {
			m := t.Method(i)
			if !m.Exported() && !samePkg(m.Pkg()) {
				return "its method " + m.Name() + " is not exported by its package"
			}
			if w := g.unnameable(m.Type(), seen); w != "" {
				return w
			}
		}
	case *types.Signature:
		for _, tup := range []*types.Tuple{t.Params(), t.Results()} {
			for i := 0; i < tup.Len(); i++ {
				if w := g.unnameable(tup.At(i).Type(), seen); w != "" {
					return w
				}
			}
		}
	}
	return ""
}

// ---------------------------------------------------------------------------------------------------
// emission

func (g *gen) emit(format string, args ...any) {
	fmt.Fprintf(g.fn.out, format, args...)
	g.fn.out.WriteByte('\n')
}

// tmp returns a fresh local name; declare it with decl so an unused one gets `_ =`.
func (g *gen) tmp() string {
	for {
		g.fn.n++
		name := "v" + strconv.Itoa(g.fn.n)
		if !g.taken[name] {
			return name
		}
	}
}

// decl emits `names := expr` and marks the names so that unused ones are kept legal.
func (g *gen) decl(expr string, names ...string) {
	g.emit("%s := %s", strings.Join(names, ", "), expr)
	for _, n := range names {
		if n != "_" {
			g.emit("//tmplgen:use %s", n)
		}
	}
}

// declVar emits `var name T` (for values joined from branches); it always counts as used.
func (g *gen) declVar(name string, t types.Type) {
	g.emit("var %s %s", name, g.typeName(t))
	g.emit("_ = %s", name)
}

// body emits a block's statements; it reports whether the block ended in an unconditional return.
func (g *gen) body(f func()) (term bool) {
	mark := len(g.fn.vars)
	defer func() {
		g.fn.vars = g.fn.vars[:mark]
		if r := recover(); r != nil {
			if _, ok := r.(deadEnd); ok {
				term = true
				return
			}
			panic(r)
		}
	}()
	f()
	return false
}

// capture emits f into a side buffer: its code, and whether it ended in an unconditional return.
func (g *gen) capture(f func()) (string, bool) {
	saved := g.fn.out
	g.fn.out = &bytes.Buffer{}
	term := g.body(f)
	code := g.fn.out.String()
	g.fn.out = saved
	return code, term
}

// ifElse emits an if statement; when both branches return, so does the statement (deadEnd).
func (g *gen) ifElse(cond string, then, els func()) {
	if cond == "false" {
		then, els = els, nil
		cond = "true"
		if then == nil {
			return
		}
	}
	if cond == "true" {
		code, t := g.capture(then)
		if strings.TrimSpace(code) != "" {
			g.emit("{\n%s}", code)
		}
		if t {
			panic(deadEnd{})
		}
		return
	}
	thenCode, t1 := g.capture(then)
	elseCode, t2 := "", false
	if els != nil {
		elseCode, t2 = g.capture(els)
	}
	switch {
	case strings.TrimSpace(elseCode) == "" && strings.TrimSpace(thenCode) == "":
		// Nothing to do either way (the condition has no side effects).
	case strings.TrimSpace(elseCode) == "":
		g.emit("if %s {\n%s}", cond, thenCode)
	case strings.TrimSpace(thenCode) == "":
		g.emit("if !(%s) {\n%s}", cond, elseCode)
	default:
		g.emit("if %s {\n%s} else {\n%s}", cond, thenCode, elseCode)
	}
	if t1 && t2 {
		panic(deadEnd{})
	}
}

func doublePercent(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// pct makes a static string safe inside a format.
func pct(s string) string { return doublePercent(s) }

// errFormat is state.errorf's format for the current node.
func (g *gen) errFormat(msg string) string {
	name := doublePercent(g.fn.tmpl)
	node := g.fn.node
	if strings.HasPrefix(msg, "error calling ") && g.fn.callNode != nil {
		node = g.fn.callNode
	}
	if node == nil {
		return fmt.Sprintf("template: %s: %s", name, msg)
	}
	location, context := g.fn.tree.ErrorContext(node)
	return fmt.Sprintf("template: %s: executing %q at <%s>: %s", location, name, doublePercent(context), msg)
}

// fail emits the ExecError that text/template raises here, and ends the block.
func (g *gen) fail(msg string, args ...string) {
	f := g.std("fmt")
	all := append([]string{strconv.Quote(g.errFormat(msg))}, args...)
	g.emit("return %s.Errorf(%s)", f, strings.Join(all, ", "))
	panic(deadEnd{})
}

// failIf emits a conditional ExecError.
func (g *gen) failIf(cond, msg string, args ...string) {
	g.ifElse(cond, func() { g.fail(msg, args...) }, nil)
}

func (g *gen) at(n parse.Node) { g.fn.node = n }

// ---------------------------------------------------------------------------------------------------
// driver

const maxDepthName = "maxExecDepth"

func (g *gen) run() (*Result, error) {
	entryName := g.req.FuncName
	for _, local := range []string{"w", "dot", "dotOK", "depth", "data", "err"} {
		if g.taken[local] {
			return nil, &Refusal{Template: g.set.entry, Reason: fmt.Sprintf("the package declares %q, a name the generated code uses locally", local)}
		}
		g.taken[local] = true
	}
	for _, h := range helperSrc {
		for _, d := range h.decls {
			if g.req.Pkg.Scope().Lookup(g.req.Prefix+d) != nil {
				return nil, &Refusal{Template: g.set.entry, Reason: fmt.Sprintf("the package declares %s: choose another prefix", g.req.Prefix+d)}
			}
		}
	}
	if g.taken[entryName] {
		return nil, &Refusal{Template: g.set.entry, Reason: fmt.Sprintf("the package already declares %s", entryName)}
	}
	g.taken[entryName] = true
	g.names = append(g.names, entryName)
	if isReflectValue(g.req.Data) {
		return nil, &Refusal{Template: g.set.entry, Reason: "the data is a reflect.Value: Execute runs on the value it holds, whose type is not static"}
	}
	data := value{x: "data", t: g.req.Data}
	if isInterface(g.req.Data) {
		data.dyn = true
	}
	if w := g.unnameable(g.req.Data, map[types.Type]bool{}); w != "" {
		return nil, &Refusal{Template: g.set.entry, Reason: fmt.Sprintf("the data type %s cannot be named here: %s", reflectString(g.req.Data), w)}
	}
	first := g.tmplFuncFor(g.set.entry, data)
	for len(g.queue) > 0 {
		f := g.queue[0]
		g.queue = g.queue[1:]
		g.genTmplFunc(f)
	}
	g.fn = nil
	io := g.std("io")
	var head bytes.Buffer
	fmt.Fprintf(&head, "// %s executes template %q (%s) on data and writes its output to w, as Execute would.\n",
		entryName, g.set.entry, map[bool]string{true: "html/template", false: "text/template"}[g.req.HTML])
	fmt.Fprintf(&head, "func %s(w %s.Writer, data %s) error {\n", entryName, io, g.typeName(g.req.Data))
	fmt.Fprintf(&head, "return %s(w, data, 0)\n}\n\n", first.goName)
	for _, text := range g.textOrd {
		fmt.Fprintf(&head, "var %s = []byte(%s)\n", g.texts[text], strconv.Quote(text))
	}
	head.WriteString("\n")
	head.Write(g.decls.Bytes())
	g.emitHelpers(&head)
	src := "package p\n\n" + head.String()
	out, err := format.Source([]byte(src))
	if err != nil {
		return nil, fmt.Errorf("tmplgen: generated code does not format (bug): %v\n%s", err, src)
	}
	out = bytes.TrimPrefix(out, []byte("package p\n\n"))
	return &Result{FuncName: entryName, Decls: out, Imports: sortedImports(g.imports), Names: g.names}, nil
}

// tmplFuncFor returns the function that executes template name with a dot like d, queueing it.
func (g *gen) tmplFuncFor(name string, d value) *tmplFunc {
	for _, f := range g.funcs {
		if f.name == name && sameDesc(f.dot, d) {
			return f
		}
	}
	f := &tmplFunc{name: name, dot: d, goName: g.top("tmpl" + strconv.Itoa(len(g.funcs)))}
	g.funcs = append(g.funcs, f)
	g.queue = append(g.queue, f)
	return f
}

func sameDesc(a, b value) bool {
	if (a.t == nil) != (b.t == nil) {
		return false
	}
	if a.t != nil && !types.Identical(a.t, b.t) {
		return false
	}
	return a.addr == b.addr && (a.ok == "") == (b.ok == "") && a.dyn == b.dyn
}

var useMark = regexp.MustCompile(`(?m)^//tmplgen:use (\w+)\n`)

func (g *gen) genTmplFunc(f *tmplFunc) {
	tree := g.set.trees[f.name]
	g.fn = &fnState{tmpl: f.name, tree: tree, out: &bytes.Buffer{}}
	dot := f.dot
	params := "w " + g.std("io") + ".Writer"
	switch {
	case dot.t == nil:
		dot = value{}
	default:
		dot.x = "dot"
		t := g.typeName(dot.t)
		if dot.addr {
			t = "*" + t
		}
		params += ", dot " + t
		if dot.ok != "" {
			dot.ok = "dotOK"
			params += ", dotOK bool"
		}
	}
	params += ", depth int"
	g.fn.vars = []tvar{{"$", dot}}
	term := g.body(func() {
		if dot.t != nil {
			g.emit("_ = dot")
			if dot.ok != "" {
				g.emit("_ = dotOK")
			}
		}
		g.emit("_ = depth")
		g.walk(dot, tree.Root)
	})
	if !term {
		g.emit("return nil")
	}
	body := g.fn.out.String()
	body = useMark.ReplaceAllStringFunc(body, func(m string) string {
		name := useMark.FindStringSubmatch(m)[1]
		re := regexp.MustCompile(`\b` + name + `\b`)
		if len(re.FindAllStringIndex(body, 3)) > 2 {
			return ""
		}
		return "_ = " + name + "\n"
	})
	fmt.Fprintf(&g.decls, "// %s executes template %q.\nfunc %s(%s) error {\n%s}\n\n", f.goName, f.name, f.goName, params, body)
}

// ---------------------------------------------------------------------------------------------------
// walk

func (g *gen) walk(dot value, node parse.Node) {
	g.at(node)
	switch node := node.(type) {
	case *parse.ActionNode:
		val := g.evalPipeline(dot, node.Pipe)
		if len(node.Pipe.Decl) == 0 {
			g.printValue(node, val)
		}
	case *parse.BreakNode:
		g.emit("break")
		panic(deadEnd{})
	case *parse.CommentNode:
	case *parse.ContinueNode:
		g.emit("continue")
		panic(deadEnd{})
	case *parse.IfNode:
		g.walkIfOrWith(parse.NodeIf, dot, node.Pipe, node.List, node.ElseList)
	case *parse.ListNode:
		for _, n := range node.Nodes {
			g.walk(dot, n)
		}
	case *parse.RangeNode:
		g.walkRange(dot, node)
	case *parse.TemplateNode:
		g.walkTemplate(dot, node)
	case *parse.TextNode:
		name, ok := g.texts[string(node.Text)]
		if !ok {
			name = g.top("text" + strconv.Itoa(len(g.textOrd)))
			g.texts[string(node.Text)] = name
			g.textOrd = append(g.textOrd, string(node.Text))
		}
		g.emit("if _, err := w.Write(%s); err != nil {\nreturn err\n}", name)
	case *parse.WithNode:
		g.walkIfOrWith(parse.NodeWith, dot, node.Pipe, node.List, node.ElseList)
	default:
		g.refuse("unknown node %s", node)
	}
}

func (g *gen) walkIfOrWith(typ parse.NodeType, dot value, pipe *parse.PipeNode, list, elseList *parse.ListNode) {
	g.emit("{")
	term := g.body(func() {
		val := g.evalPipeline(dot, pipe)
		truth := g.truth(val, true)
		g.ifElse(truth, func() {
			if typ == parse.NodeWith {
				inner := val
				inner.ok = "" // true implies valid
				g.walk(inner, list)
			} else {
				g.walk(dot, list)
			}
		}, func() {
			if elseList != nil {
				g.walk(dot, elseList)
			}
		})
	})
	g.emit("}")
	if term {
		panic(deadEnd{})
	}
}

func (g *gen) walkTemplate(dot value, t *parse.TemplateNode) {
	g.at(t)
	if strings.Contains(t.Name, "$htmltemplate_") {
		g.refuse("html/template calls template %q in a non-text HTML context (%s); only templates called from HTML text are reproduced",
			t.Name[:strings.Index(t.Name, "$htmltemplate_")], t.Name[strings.Index(t.Name, "$htmltemplate_")+len("$htmltemplate_"):])
	}
	tree, ok := g.set.trees[t.Name]
	if !ok || tree == nil {
		g.fail(fmt.Sprintf("template %s not defined", pct(strconv.Quote(t.Name))))
	}
	g.helpers[maxDepthName] = true
	g.failIf("depth == "+g.req.Prefix+maxDepthName, "exceeded maximum template depth (%v)", g.req.Prefix+maxDepthName)
	g.emit("{")
	term := g.body(func() {
		d := g.evalPipeline(dot, t.Pipe)
		if tree.Root == nil {
			// text/template's walk would dereference a nil Root: a runtime panic, not an error.
			g.refuse("template %q is incomplete or empty", t.Name)
		}
		f := g.tmplFuncFor(t.Name, d)
		args := "w"
		if d.t != nil {
			args += ", " + d.x
			if d.ok != "" {
				args += ", " + d.ok
			}
		}
		g.emit("if err := %s(%s, depth+1); err != nil {\nreturn err\n}", f.goName, args)
	})
	g.emit("}")
	if term {
		panic(deadEnd{})
	}
}

// ---------------------------------------------------------------------------------------------------
// pipelines and commands

func (g *gen) evalPipeline(dot value, pipe *parse.PipeNode) value {
	if pipe == nil {
		return value{}
	}
	g.at(pipe)
	val := value{missing: true}
	for _, cmd := range pipe.Cmds {
		val = g.evalCommand(dot, cmd, val)
		// An empty interface is unwrapped to the value it holds.
		if val.t != nil && isEmptyInterface(val.t) && !val.dyn {
			val = g.toDyn(val)
		}
	}
	for _, variable := range pipe.Decl {
		if pipe.IsAssign {
			g.setVar(variable.Ident[0], val)
		} else {
			g.pushVar(variable.Ident[0], val)
		}
	}
	return val
}

// toDyn turns a static value of interface type into the value it holds.
func (g *gen) toDyn(v value) value {
	if v.ok != "" {
		x := g.tmp()
		g.declVar(x, v.t)
		g.emit("if %s {\n%s = %s\n}", v.ok, x, v.val())
		return value{x: x, t: v.t, dyn: true}
	}
	if v.addr {
		x := g.tmp()
		g.decl(v.val(), x)
		return value{x: x, t: v.t, dyn: true}
	}
	return value{x: v.x, t: v.t, dyn: true}
}

// pushVar declares a template variable: a fresh Go variable holding the value.
func (g *gen) pushVar(name string, v value) {
	nv := v
	if v.t != nil {
		x := g.tmp()
		g.emit("%s := %s", x, v.x)
		g.emit("_ = %s", x)
		nv.x = x
		if v.ok != "" {
			ok := g.tmp()
			g.emit("%s := %s", ok, v.ok)
			g.emit("_ = %s", ok)
			nv.ok = ok
		}
	}
	g.fn.vars = append(g.fn.vars, tvar{name, nv})
}

func (g *gen) lookupVar(name string) int {
	for i := len(g.fn.vars) - 1; i >= 0; i-- {
		if g.fn.vars[i].name == name {
			return i
		}
	}
	return -1
}

func (g *gen) setVar(name string, v value) {
	i := g.lookupVar(name)
	if i < 0 {
		g.fail(fmt.Sprintf("undefined variable: %s", pct(name)))
	}
	old := g.fn.vars[i].v
	if old.t == nil || v.t == nil || !types.Identical(old.t, v.t) || old.addr != v.addr || old.dyn != v.dyn {
		g.refuse("variable %s is assigned a value of another type (%s, was %s); its type would change at run time", name, descString(v), descString(old))
	}
	if v.ok != "" && old.ok == "" {
		g.refuse("variable %s is assigned a value that may be missing (a map key), which it was not", name)
	}
	g.emit("%s = %s", old.x, v.x)
	if old.ok != "" {
		okx := v.ok
		if okx == "" {
			okx = "true"
		}
		g.emit("%s = %s", old.ok, okx)
	}
}

func descString(v value) string {
	if v.t == nil {
		return "no value"
	}
	return reflectString(v.t)
}

func (g *gen) varValue(name string) value {
	i := g.lookupVar(name)
	if i < 0 {
		g.fail(fmt.Sprintf("undefined variable: %s", pct(name)))
	}
	return g.fn.vars[i].v
}

func (g *gen) notAFunction(args []parse.Node, final value) {
	if len(args) > 1 || !final.missing {
		g.fail(fmt.Sprintf("can't give argument to non-function %s", pct(args[0].String())))
	}
}

func (g *gen) evalCommand(dot value, cmd *parse.CommandNode, final value) value {
	firstWord := cmd.Args[0]
	switch n := firstWord.(type) {
	case *parse.FieldNode:
		return g.evalFieldNode(dot, n, cmd.Args, final)
	case *parse.ChainNode:
		return g.evalChainNode(dot, n, cmd.Args, final)
	case *parse.IdentifierNode:
		return g.evalFunction(dot, n, cmd, cmd.Args, final)
	case *parse.PipeNode:
		g.notAFunction(cmd.Args, final)
		return g.evalPipeline(dot, n)
	case *parse.VariableNode:
		return g.evalVariableNode(dot, n, cmd.Args, final)
	}
	g.at(firstWord)
	g.notAFunction(cmd.Args, final)
	switch word := firstWord.(type) {
	case *parse.BoolNode:
		return g.constant(strconv.FormatBool(word.True), types.Typ[types.Bool])
	case *parse.DotNode:
		return dot
	case *parse.NilNode:
		g.fail("nil is not a command")
	case *parse.NumberNode:
		return g.idealConstant(word)
	case *parse.StringNode:
		return g.constant(strconv.Quote(word.Text), types.Typ[types.String])
	}
	g.fail(fmt.Sprintf("can't evaluate command %s", pct(strconv.Quote(firstWord.String()))))
	panic("not reached")
}

// constant materializes a constant of a basic type into a variable.
func (g *gen) constant(lit string, t types.Type) value {
	x := g.tmp()
	if t == types.Typ[types.String] || t == types.Typ[types.Bool] {
		g.decl(lit, x)
	} else {
		g.decl(g.typeName(t)+"("+lit+")", x)
	}
	return value{x: x, t: t}
}

func isRuneInt(s string) bool { return len(s) > 0 && s[0] == '\'' }

func isHexInt(s string) bool {
	return len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && !strings.ContainsAny(s, "pP")
}

func (g *gen) idealConstant(c *parse.NumberNode) value {
	g.at(c)
	switch {
	case c.IsComplex:
		return g.constant(fmt.Sprintf("complex(%s, %s)", floatLit(real(c.Complex128)), floatLit(imag(c.Complex128))), types.Typ[types.Complex128])
	case c.IsFloat && !isHexInt(c.Text) && !isRuneInt(c.Text) && strings.ContainsAny(c.Text, ".eEpP"):
		return g.constant(floatLit(c.Float64), types.Typ[types.Float64])
	case c.IsInt:
		if int64(int(c.Int64)) != c.Int64 || c.Int64 > math.MaxInt32 || c.Int64 < math.MinInt32 {
			// int is 32 bits on some targets: the result would depend on GOARCH.
			if c.Int64 > math.MaxInt32 || c.Int64 < math.MinInt32 {
				g.refuse("the constant %s overflows int on 32-bit targets: the result depends on GOARCH", c.Text)
			}
		}
		return g.constant(strconv.FormatInt(c.Int64, 10), types.Typ[types.Int])
	case c.IsUint:
		g.fail(fmt.Sprintf("%s overflows int", pct(c.Text)))
	}
	return value{}
}

func floatLit(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		panic(refusal{&Refusal{Reason: "infinite or NaN constant"}})
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func (g *gen) evalFieldNode(dot value, field *parse.FieldNode, args []parse.Node, final value) value {
	g.at(field)
	return g.evalFieldChain(dot, dot, field, field.Ident, args, final)
}

func (g *gen) evalChainNode(dot value, chain *parse.ChainNode, args []parse.Node, final value) value {
	g.at(chain)
	if len(chain.Field) == 0 {
		g.fail("internal error: no fields in evalChainNode")
	}
	if chain.Node.Type() == parse.NodeNil {
		g.fail(fmt.Sprintf("indirection through explicit nil in %s", pct(chain.String())))
	}
	var pipe value
	switch chain.Node.(type) {
	case *parse.DotNode, *parse.FieldNode, *parse.VariableNode, *parse.PipeNode, *parse.IdentifierNode, *parse.ChainNode:
		pipe = g.evalArg(dot, nil, chain.Node)
	default:
		g.refuse("a field of a constant: text/template panics on it")
	}
	return g.evalFieldChain(dot, pipe, chain, chain.Field, args, final)
}

func (g *gen) evalVariableNode(dot value, variable *parse.VariableNode, args []parse.Node, final value) value {
	g.at(variable)
	v := g.varValue(variable.Ident[0])
	if len(variable.Ident) == 1 {
		g.notAFunction(args, final)
		return v
	}
	return g.evalFieldChain(dot, v, variable, variable.Ident[1:], args, final)
}

func (g *gen) evalFieldChain(dot, receiver value, node parse.Node, ident []string, args []parse.Node, final value) value {
	n := len(ident)
	for i := 0; i < n-1; i++ {
		receiver = g.evalField(dot, ident[i], node, nil, value{missing: true}, receiver)
	}
	return g.evalField(dot, ident[n-1], node, args, final, receiver)
}

func (g *gen) evalFunction(dot value, node *parse.IdentifierNode, cmd parse.Node, args []parse.Node, final value) value {
	g.at(node)
	name := node.Ident
	if f, ok := g.req.Funcs[name]; ok {
		return g.evalCall(dot, callee{sig: f.Sig, fn: &f}, cmd, name, args, final)
	}
	if g.req.HTML {
		if h, ok := g.htmlFuncFor(name); ok {
			return g.evalCall(dot, callee{sig: anyVariadicString(), html: h}, cmd, name, args, final)
		}
	}
	if sig := g.builtinSig(name); sig != nil {
		return g.evalCall(dot, callee{sig: sig, builtin: name}, cmd, name, args, final)
	}
	g.fail(fmt.Sprintf("%s is not a defined function", pct(strconv.Quote(name))))
	panic("not reached")
}

// ---------------------------------------------------------------------------------------------------
// fields

func (g *gen) missingKeyMode() string {
	switch g.req.MissingKey {
	case "zero", "error":
		return g.req.MissingKey
	}
	return "invalid"
}

// evalField is text/template's evalField on a statically typed receiver.
func (g *gen) evalField(dot value, fieldName string, node parse.Node, args []parse.Node, final, receiver value) value {
	if receiver.t == nil {
		if g.missingKeyMode() == "error" {
			g.fail(fmt.Sprintf("nil data; no entry for key %s", pct(strconv.Quote(fieldName))))
		}
		return value{}
	}
	if receiver.dyn && !isInterface(receiver.t) {
		g.refuse("internal: dynamic value of static type")
	}
	if receiver.ok != "" {
		// A missing map entry: evalField returns the invalid value (or fails with missingkey=error).
		return g.joinValid(receiver.ok, func() value {
			r := receiver
			r.ok = ""
			return g.evalField(dot, fieldName, node, args, final, r)
		}, func() {
			if g.missingKeyMode() == "error" {
				g.fail(fmt.Sprintf("nil data; no entry for key %s", pct(strconv.Quote(fieldName))))
			}
		})
	}
	typ := receiver.t
	if receiver.dyn {
		// The value held by an interface: a nil one is the invalid value.
		if isEmptyInterface(receiver.t) {
			g.refuse("field or method %s of a value of type %s: its dynamic type is not known statically", fieldName, reflectString(receiver.t))
		}
		sel := g.ms.lookup(receiver.t, fieldName)
		if sel == nil {
			g.refuse("field %s of a value of interface type %s: its dynamic type is not known statically", fieldName, reflectString(receiver.t))
		}
		return g.joinValid(receiver.x+" != nil", func() value {
			return g.evalCall(dot, callee{sig: sel.Type().(*types.Signature), recv: receiver.x, method: sel}, node, fieldName, args, final)
		}, func() {
			if g.missingKeyMode() == "error" {
				g.fail(fmt.Sprintf("nil data; no entry for key %s", pct(strconv.Quote(fieldName))))
			}
		})
	}
	hasArgs := len(args) > 1 || !final.missing
	cur := receiver
	for {
		if isInterface(cur.t) {
			sel := g.ms.lookup(cur.t, fieldName)
			if sel == nil {
				g.refuse("field %s of a value of interface type %s: its dynamic type is not known statically", fieldName, reflectString(cur.t))
			}
			x := cur.val()
			g.failIf(x+" == nil", fmt.Sprintf("nil pointer evaluating %s.%s", pct(reflectString(typ)), pct(fieldName)))
			return g.evalCall(dot, callee{sig: sel.Type().(*types.Signature), recv: x, method: sel}, node, fieldName, args, final)
		}
		p, ok := cur.t.Underlying().(*types.Pointer)
		if !ok {
			break
		}
		ptr := cur.val()
		// The methods of the pointer type are found even when it is nil.
		if sel := g.ms.lookup(cur.t, fieldName); sel != nil {
			if _, isPtr := cur.t.(*types.Named); isPtr {
				g.refuse("method %s of named pointer type %s", fieldName, reflectString(cur.t))
			}
			return g.evalCall(dot, callee{sig: sel.Type().(*types.Signature), recv: ptr, recvTyp: cur.t, method: sel, maybeNil: true}, node, fieldName, args, final)
		}
		etyp := p.Elem()
		_, isStruct := etyp.Underlying().(*types.Struct)
		_, hasField := fieldByName(etyp, fieldName)
		if isStruct && !hasField {
			g.failIf(ptr+" == nil", fmt.Sprintf("can't evaluate field %s in type %s", pct(fieldName), pct(reflectString(typ))))
		} else {
			g.failIf(ptr+" == nil", fmt.Sprintf("nil pointer evaluating %s.%s", pct(reflectString(typ)), pct(fieldName)))
		}
		x := g.tmp()
		g.decl(ptr, x)
		cur = value{x: x, t: etyp, addr: true}
	}
	if kindOf(cur.t) == kUnsafePointer {
		g.refuse("unsafe.Pointer values")
	}
	// Methods: those of *T when the value is addressable.
	mt := cur.t
	if cur.addr {
		mt = types.NewPointer(cur.t)
	}
	if sel := g.ms.lookup(mt, fieldName); sel != nil {
		recv := cur.x
		if !cur.addr {
			recv = cur.val()
		}
		return g.evalCall(dot, callee{sig: sel.Type().(*types.Signature), recv: recv, method: sel}, node, fieldName, args, final)
	}
	switch cur.t.Underlying().(type) {
	case *types.Struct:
		path, ok := fieldByName(cur.t, fieldName)
		if ok {
			last := path[len(path)-1].field
			if !last.Exported() {
				g.fail(fmt.Sprintf("%s is an unexported field of struct type %s", pct(fieldName), pct(reflectString(typ))))
			}
			res := g.fieldPath(cur, path)
			if hasArgs {
				g.fail(fmt.Sprintf("%s has arguments but cannot be invoked as function", pct(fieldName)))
			}
			return res
		}
	case *types.Map:
		m := cur.t.Underlying().(*types.Map)
		if types.AssignableTo(types.Typ[types.String], m.Key()) && !isNamedString(m.Key()) {
			if hasArgs {
				g.fail(fmt.Sprintf("%s is not a method but has arguments", pct(fieldName)))
			}
			x, ok := g.tmp(), g.tmp()
			g.decl(fmt.Sprintf("%s[%s]", cur.val(), strconv.Quote(fieldName)), x, ok)
			switch g.missingKeyMode() {
			case "zero":
				return value{x: x, t: m.Elem()}
			case "error":
				g.failIf("!"+ok, fmt.Sprintf("map has no entry for key %s", pct(strconv.Quote(fieldName))))
				return value{x: x, t: m.Elem()}
			}
			return value{x: x, t: m.Elem(), ok: ok}
		}
	}
	g.fail(fmt.Sprintf("can't evaluate field %s in type %s", pct(fieldName), pct(reflectString(typ))))
	panic("not reached")
}

func isNamedString(t types.Type) bool {
	_, ok := t.(*types.Named)
	return ok
}

// fieldPath selects a (possibly promoted) field the way FieldByIndexErr does.
func (g *gen) fieldPath(cur value, path []fieldStep) value {
	base := cur.val()
	addr := cur.addr
	// Use the promoted selector when Go resolves it to the same field through no pointer.
	direct := true
	for _, st := range path {
		if st.throughPtr {
			direct = false
		}
	}
	last := path[len(path)-1].field
	if direct && len(path) > 1 {
		obj, _, _ := types.LookupFieldOrMethod(cur.t, addr, g.req.Pkg, last.Name())
		if obj != last {
			direct = false
		}
	}
	if direct {
		expr := base + "." + last.Name()
		if addr {
			x := g.tmp()
			g.decl("&"+expr, x)
			return value{x: x, t: last.Type(), addr: true}
		}
		x := g.tmp()
		g.decl(expr, x)
		return value{x: x, t: last.Type()}
	}
	expr := base
	for i, st := range path {
		if st.throughPtr {
			prev := path[i-1].field
			g.emit("//tmplgen:nilcheck")
			if !prev.Exported() && prev.Pkg() != nil && prev.Pkg().Path() != g.req.Pkg.Path() {
				g.refuse("field %s is reached through an unexported embedded pointer of another package", last.Name())
			}
			ptrT := prev.Type().Underlying().(*types.Pointer)
			sname := "" // nameFor: the struct type's name
			if n, ok := ptrT.Elem().(*types.Named); ok {
				sname = n.Obj().Name()
			}
			x := g.tmp()
			g.decl(expr, x)
			g.failIf(x+" == nil", pct("reflect: indirection through nil pointer to embedded struct field "+sname))
			expr = x
			addr = true
		}
		if !st.field.Exported() && st.field.Pkg() != nil && st.field.Pkg().Path() != g.req.Pkg.Path() {
			g.refuse("field %s is reached through the unexported embedded field %s of another package", last.Name(), st.field.Name())
		}
		expr += "." + st.field.Name()
	}
	if addr {
		x := g.tmp()
		g.decl("&"+expr, x)
		return value{x: x, t: last.Type(), addr: true}
	}
	x := g.tmp()
	g.decl(expr, x)
	return value{x: x, t: last.Type()}
}

// joinValid emits `if cond { ok path } else { other path }` and joins the value of the ok path with
// the invalid value of the other (unless that path fails).
func (g *gen) joinValid(cond string, okPath func() value, invalidPath func()) value {
	// Generate the ok path first into a side buffer, to learn the type to declare.
	saved := g.fn.out
	g.fn.out = &bytes.Buffer{}
	var res value
	term := g.body(func() { res = okPath() })
	okCode := g.fn.out.String()
	g.fn.out = &bytes.Buffer{}
	elseTerm := g.body(invalidPath)
	elseCode := g.fn.out.String()
	g.fn.out = saved
	if term && elseTerm {
		g.emit("if %s {\n%s} else {\n%s}", cond, okCode, elseCode)
		panic(deadEnd{})
	}
	if term {
		g.emit("if %s {\n%s}\n%s", cond, okCode, elseCode)
		return value{}
	}
	if res.t == nil {
		g.emit("if %s {\n%s} else {\n%s}", cond, okCode, elseCode)
		return value{}
	}
	x, ok := g.tmp(), g.tmp()
	vt := res.t
	if res.addr {
		vt = types.NewPointer(res.t)
	}
	g.declVar(x, vt)
	g.emit("%s := false", ok)
	g.emit("_ = %s", ok)
	g.emit("if %s {\n%s", cond, okCode)
	g.emit("%s = %s", x, res.x)
	if res.ok != "" {
		g.emit("%s = %s", ok, res.ok)
	} else {
		g.emit("%s = true", ok)
	}
	if elseTerm {
		g.emit("} else {\n%s}", elseCode)
	} else {
		g.emit("} else {\n%s}", elseCode)
	}
	if elseTerm {
		// Only the ok path continues: the value is valid there.
		return value{x: x, t: res.t, addr: res.addr, dyn: res.dyn}
	}
	return value{x: x, t: res.t, addr: res.addr, dyn: res.dyn, ok: ok}
}

// ---------------------------------------------------------------------------------------------------
// truth and printing

// truth returns a Go boolean expression for isTrue(indirectInterface(v)); check asks for the
// "if/with can't use" error where isTrue is not ok.
func (g *gen) truth(v value, check bool) string {
	if v.t == nil {
		return "false"
	}
	if v.ok != "" {
		vv := v
		vv.ok = ""
		t := g.truth(vv, check)
		return "(" + v.ok + " && " + t + ")"
	}
	if v.dyn || isInterface(v.t) {
		g.helpers["isTrue"] = true
		x, ok := g.tmp(), g.tmp()
		g.decl(fmt.Sprintf("%sisTrue(%s.ValueOf(%s))", g.req.Prefix, g.std("reflect"), v.val()), x, ok)
		if check {
			g.failIf("!"+ok, "if/with can't use %v", v.val())
		}
		return x
	}
	x := v.val()
	switch kindOf(v.t) {
	case kArray:
		if v.t.Underlying().(*types.Array).Len() > 0 {
			return "true"
		}
		return "false"
	case kMap, kSlice, kString:
		return "len(" + x + ") > 0"
	case kBool:
		return "bool(" + x + ")"
	case kComplex, kInt, kUint, kFloat:
		return x + " != 0"
	case kChan, kFunc, kPointer:
		return x + " != nil"
	case kStruct:
		return "true"
	}
	g.refuse("the truth of a value of type %s", reflectString(v.t))
	return ""
}

func (g *gen) printValue(n parse.Node, v value) {
	g.at(n)
	f := g.std("fmt")
	write := func(expr string) {
		g.emit("if _, err := %s.Fprint(w, %s); err != nil {\nreturn err\n}", f, expr)
	}
	if v.t == nil {
		write(`"<no value>"`)
		return
	}
	if v.ok != "" {
		vv := v
		vv.ok = ""
		g.ifElse(v.ok, func() { g.printValue(n, vv) }, func() { write(`"<no value>"`) })
		return
	}
	if v.dyn {
		g.helpers["printableValue"] = true
		x, ok := g.tmp(), g.tmp()
		g.decl(fmt.Sprintf("%sprintableValue(%s.ValueOf(%s))", g.req.Prefix, g.std("reflect"), v.x), x, ok)
		g.failIf("!"+ok, fmt.Sprintf("can't print %s of type %%s", pct(n.String())), fmt.Sprintf("%s.TypeOf(%s)", g.std("reflect"), v.x))
		write(x)
		return
	}
	g.printStatic(n, v, write)
}

// printStatic prints a valid static value: printableValue's indirection, then fmt.Fprint.
func (g *gen) printStatic(n parse.Node, cur value, write func(string)) {
	if p, ok := cur.t.Underlying().(*types.Pointer); ok {
		if isInterface(p.Elem()) {
			// indirect continues into the interface: let the copied printableValue do it.
			g.helpers["printableValue"] = true
			x, ok := g.tmp(), g.tmp()
			g.decl(fmt.Sprintf("%sprintableValue(%s.ValueOf(%s))", g.req.Prefix, g.std("reflect"), cur.val()), x, ok)
			write(x)
			return
		}
		x := g.tmp()
		g.decl(cur.val(), x)
		g.ifElse(x+" == nil", func() { write(x) }, func() {
			g.printStatic(n, value{x: x, t: p.Elem(), addr: true}, write)
		})
		return
	}
	switch {
	case isInterface(cur.t):
		write(cur.val())
	case printsViaMethod(cur.t):
		write(cur.val())
	case cur.addr && printsViaMethod(types.NewPointer(cur.t)):
		write(cur.x)
	case kindOf(cur.t) == kChan || kindOf(cur.t) == kFunc:
		g.fail(fmt.Sprintf("can't print %s of type %s", pct(n.String()), pct(reflectString(cur.t))))
	case kindOf(cur.t) == kUnsafePointer:
		g.refuse("printing an unsafe.Pointer")
	default:
		write(cur.val())
	}
}

// ---------------------------------------------------------------------------------------------------
// ranges

func (g *gen) walkRange(dot value, r *parse.RangeNode) {
	g.at(r)
	if r.Pipe.IsAssign {
		g.refuse("range assigning to existing variables: their type would change at run time")
	}
	g.emit("{")
	term := g.body(func() { g.walkRangeBody(dot, r) })
	g.emit("}")
	if term {
		panic(deadEnd{})
	}
}

func (g *gen) walkRangeBody(dot value, r *parse.RangeNode) {
	val := g.evalPipeline(dot, r.Pipe)
	mark := len(g.fn.vars)
	nDecl := len(r.Pipe.Decl)
	elseBranch := func() {
		if r.ElseList != nil {
			g.walk(dot, r.ElseList)
		}
	}
	// The range variables were pushed by evalPipeline; each iteration sets them.
	oneIteration := func(index, elem value) {
		saved := append([]tvar(nil), g.fn.vars[:mark]...)
		defer func() { copy(g.fn.vars, saved) }()
		g.body(func() {
			if nDecl > 0 {
				g.fn.vars[mark-1] = tvar{g.fn.vars[mark-1].name, g.rebind(elem)}
			}
			if nDecl > 1 {
				g.fn.vars[mark-2] = tvar{g.fn.vars[mark-2].name, g.rebind(index)}
			}
			g.fn.loops++
			defer func() { g.fn.loops-- }()
			g.walk(elem, r.List)
		})
	}
	if val.t == nil {
		elseBranch()
		return
	}
	if val.ok != "" {
		vv := val
		vv.ok = ""
		g.ifElse(val.ok, func() { g.rangeOver(vv, r, nDecl, oneIteration, elseBranch) }, elseBranch)
		return
	}
	g.rangeOver(val, r, nDecl, oneIteration, elseBranch)
}

// rebind copies a value into a fresh variable (a template variable of the iteration).
func (g *gen) rebind(v value) value {
	if v.t == nil {
		return v
	}
	x := g.tmp()
	g.emit("%s := %s", x, v.x)
	g.emit("_ = %s", x)
	nv := v
	nv.x = x
	return nv
}

func (g *gen) rangeOver(val value, r *parse.RangeNode, nDecl int, oneIteration func(index, elem value), elseBranch func()) {
	if val.dyn {
		g.refuse("range over a value of interface type %s: its dynamic type is not known statically", reflectString(val.t))
	}
	cur := val
	for {
		p, ok := cur.t.Underlying().(*types.Pointer)
		if !ok {
			break
		}
		if isInterface(p.Elem()) {
			g.refuse("range over a pointer to an interface")
		}
		x := g.tmp()
		g.decl(cur.val(), x)
		g.failIf(x+" == nil", "range can't iterate over %v", x)
		cur = value{x: x, t: p.Elem(), addr: true}
	}
	if isInterface(cur.t) {
		g.refuse("range over a value of interface type %s: its dynamic type is not known statically", reflectString(cur.t))
	}
	x := cur.val()
	switch u := cur.t.Underlying().(type) {
	case *types.Basic:
		k := kindOf(cur.t)
		if k != kInt && k != kUint {
			break
		}
		if g.minor < 24 {
			break
		}
		if nDecl > 1 {
			g.fail("can't use %v to iterate over more than one variable", x)
		}
		n := g.tmp()
		g.decl(x, n)
		i := g.tmp()
		g.ifElse(n+" <= 0", elseBranch, func() {
			g.emit("for %s := %s(0); %s < %s; %s++ {", i, g.typeName(cur.t), i, n, i)
			oneIteration(value{}, value{x: i, t: cur.t})
			g.emit("}")
		})
		return
	case *types.Slice, *types.Array:
		length := "len(" + x + ")"
		if a, ok := u.(*types.Array); ok && a.Len() == 0 {
			elseBranch()
			return
		}
		g.ifElse(length+" == 0", elseBranch, func() {
			i := g.tmp()
			g.emit("for %s := 0; %s < %s; %s++ {", i, i, length, i)
			elemAddr := cur.addr
			if _, isSlice := u.(*types.Slice); isSlice {
				elemAddr = true
			}
			e := g.tmp()
			et := elemOf(cur.t)
			var elem value
			if elemAddr {
				g.emit("%s := &%s[%s]", e, x, i)
				elem = value{x: e, t: et, addr: true}
			} else {
				g.emit("%s := %s[%s]", e, x, i)
				elem = value{x: e, t: et}
			}
			g.emit("_ = %s", e)
			oneIteration(value{x: i, t: types.Typ[types.Int]}, elem)
			g.emit("}")
		})
		return
	case *types.Map:
		less := g.keyLess(u.Key())
		g.ifElse("len("+x+") == 0", elseBranch, func() {
			keys, vals, idx := g.tmp(), g.tmp(), g.tmp()
			kt, vt := g.typeName(u.Key()), g.typeName(u.Elem())
			g.emit("%s := make([]%s, 0, len(%s))", keys, kt, x)
			g.emit("%s := make([]%s, 0, len(%s))", vals, vt, x)
			k, v := g.tmp(), g.tmp()
			g.emit("for %s, %s := range %s {\n%s = append(%s, %s)\n%s = append(%s, %s)\n}", k, v, x, keys, keys, k, vals, vals, v)
			g.emit("%s := make([]int, len(%s))", idx, keys)
			i, j := g.tmp(), g.tmp()
			g.emit("for %s := range %s {\n%s[%s] = %s\n}", i, idx, idx, i, i)
			g.emit("%s.SliceStable(%s, func(%s, %s int) bool {\nreturn %s\n})", g.std("sort"), idx, i, j,
				less(keys+"["+idx+"["+i+"]]", keys+"["+idx+"["+j+"]]"))
			n := g.tmp()
			g.emit("for _, %s := range %s {", n, idx)
			kx, vx := g.tmp(), g.tmp()
			g.emit("%s, %s := %s[%s], %s[%s]", kx, vx, keys, n, vals, n)
			g.emit("_, _ = %s, %s", kx, vx)
			oneIteration(value{x: kx, t: u.Key()}, value{x: vx, t: u.Elem()})
			g.emit("}")
		})
		return
	case *types.Chan:
		g.refuse("range over a channel: receiving is a side effect gotrim does not reproduce")
	case *types.Signature:
		if g.minor >= 24 && (rangeFunc(u) > 0) {
			g.refuse("range over an iterator function")
		}
	}
	g.fail("range can't iterate over %v", x)
}

// rangeFunc reports how many values a function iterator yields (0: not an iterator).
func rangeFunc(sig *types.Signature) int {
	if sig.Params().Len() != 1 || sig.Results().Len() != 0 {
		return 0
	}
	y, ok := sig.Params().At(0).Type().Underlying().(*types.Signature)
	if !ok || y.Results().Len() != 1 || !types.Identical(y.Results().At(0).Type(), types.Typ[types.Bool]) {
		return 0
	}
	return y.Params().Len()
}

// keyLess returns a Go expression builder for fmtsort's order on map keys of type t.
func (g *gen) keyLess(t types.Type) func(a, b string) string {
	switch kindOf(t) {
	case kInt, kUint, kString:
		return func(a, b string) string { return a + " < " + b }
	case kFloat:
		// cmp.Compare: NaN sorts before every other value.
		return func(a, b string) string {
			return fmt.Sprintf("%s < %s || (%s != %s && %s == %s)", a, b, a, a, b, b)
		}
	case kBool:
		return func(a, b string) string { return "!bool(" + a + ") && bool(" + b + ")" }
	}
	g.refuse("range over a map with keys of type %s: fmtsort's order for them is not reproduced", reflectString(t))
	return nil
}

// ---------------------------------------------------------------------------------------------------
// helpers and text

func (g *gen) emitHelpers(b *bytes.Buffer) {
	names := make([]string, 0, len(g.helpers))
	for n := range g.helpers {
		names = append(names, n)
	}
	sort.Strings(names)
	done := map[string]bool{}
	var add func(string)
	add = func(n string) {
		if done[n] {
			return
		}
		done[n] = true
		h, ok := helperSrc[n]
		if !ok {
			panic("tmplgen: no helper " + n)
		}
		for _, dep := range h.deps {
			add(dep)
		}
		src := h.src
		if h.version != nil {
			src = h.version(g.minor)
		}
		for _, imp := range h.imports {
			g.std(imp)
		}
		src = strings.ReplaceAll(src, "P_", g.req.Prefix)
		b.WriteString(src)
		b.WriteString("\n")
		for _, d := range h.decls {
			g.names = append(g.names, g.req.Prefix+d)
			g.taken[g.req.Prefix+d] = true
		}
	}
	if len(names) > 0 {
		b.WriteString(goLicence)
	}
	for _, n := range names {
		add(n)
	}
}
