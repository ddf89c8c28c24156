package main

// Templates returned by a function of the package: `newTemplate(kind).Execute(w, data)` where
// newTemplate picks the text (in a switch or an if on its parameter) and returns a template chain
// built from it (rakyll/hey's requester/print.go). Each constant text the function can parse is
// compiled to Go; the function is rewritten in place to return the compiled renderer chosen by the
// same value (a switch on the text itself: two equal texts give the same template), and each
// execution calls the renderer. When a path parses a text that is not constant (the parameter
// itself), that path keeps its template (Fallback) behind a small adapter: the rest is compiled, and
// the caller decides whether the template left (executed by the method-free fork) is acceptable.

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"gotrim/typed/tmplgen"
)

// moduleFunc is the package-level function of this package that call e invokes, when e is such a
// call returning a template (`newTemplate(x)`); nil otherwise.
func (t *tpkg) moduleFunc(e ast.Expr) *types.Func {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return nil
	}
	id, ok := unparen(call.Fun).(*ast.Ident)
	if !ok {
		return nil
	}
	fn, ok := t.info.Uses[id].(*types.Func)
	if !ok || fn.Pkg() != t.pkg || fn.Parent() != t.pkg.Scope() {
		return nil
	}
	return fn
}

// funcReturn is one `return chain` of the function and the texts it can parse.
type funcReturn struct {
	ret     *ast.ReturnStmt
	chain   ast.Expr
	local   *ast.Ident // the Parse argument when it is a local variable of the function
	opts    []*funcOption
	dynamic string // why some value is not a constant text ("" when every value is)
}

// funcOption is one constant text a return can parse, compiled to its own function.
type funcOption struct {
	value ast.Expr // the value of the local variable (nil: the chain's own constant text)
	st    *chainState
	name  string
}

// funcSite resolves a template returned by fn, compiles every constant text and computes the edits.
func (t *tpkg) funcSite(s *Site, fn *types.Func) {
	s.Kind = "func"
	first := s.execsAST[0]
	s.File, s.Line, s.Start, s.End = t.key(first), t.line(first), t.offset(first.Pos()), t.offset(first.End())
	resolved := false // every text is known: the refusal says nothing about method calls
	refuse := func(where ast.Node, reason string) {
		s.Refusal = &SiteRefusal{Where: t.where(where), Reason: reason}
		if s.Unknown == "" && !resolved {
			s.Unknown = "the template is not resolved: " + reason
		}
		for _, c := range s.execsAST {
			s.Executions = append(s.Executions, t.bareExecution(c, s.Refusal))
		}
	}
	fd := t.funcDecl(fn)
	if fd == nil {
		refuse(first, fmt.Sprintf("the declaration of %s is not found", fn.Name()))
		return
	}
	s.File, s.Line, s.Start, s.End = t.key(fd), t.line(fd), t.offset(fd.Pos()), t.offset(fd.End())
	// A reason not to rewrite does not stop the resolution: the constant texts' method calls are
	// still listed, so that the method-free fork is refused when it would run one of them.
	var why string
	var whyAt ast.Node = fd
	switch {
	case fn.Exported():
		why = fmt.Sprintf("the template comes from %s, which is exported: other packages may call it", fn.Name())
	case fd.Recv != nil || fd.Type.TypeParams != nil || fd.Type.Results == nil || len(fd.Type.Results.List) != 1 ||
		len(fd.Type.Results.List[0].Names) > 1 || fd.Body == nil:
		why = fmt.Sprintf("%s does not have the form gotrim follows (a function returning only the template)", fn.Name())
	}
	execFun := map[*ast.Ident]bool{}
	for _, c := range s.execsAST {
		call := unparen(c.Fun.(*ast.SelectorExpr).X).(*ast.CallExpr)
		execFun[unparen(call.Fun).(*ast.Ident)] = true
	}
	for _, id := range t.uses[fn] {
		if !execFun[id] && why == "" {
			why, whyAt = fmt.Sprintf("%s, which returns the template, is used at %s other than as F(...).Execute", fn.Name(), t.where(id)), id
		}
	}
	var rets []*funcReturn
	var bad ast.Node
	if fd.Body != nil {
		ast.Inspect(fd.Body, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				if len(n.Results) != 1 {
					bad = n
					return false
				}
				rets = append(rets, &funcReturn{ret: n, chain: n.Results[0]})
			}
			return bad == nil
		})
	}
	if bad != nil || len(rets) == 0 {
		refuse(fd, fmt.Sprintf("%s returns without a template chain", fn.Name()))
		return
	}
	resolved = true
	var dyn []string
	for _, r := range rets {
		w := t.resolveReturn(s, fd, r)
		if w != "" {
			resolved = false
			if why == "" {
				why, whyAt = w, r.ret
			}
		}
		if r.dynamic != "" {
			dyn = append(dyn, r.dynamic)
		}
	}
	if why != "" {
		t.funcMethods(s, rets)
		if len(dyn) > 0 {
			s.Unknown = strings.TrimSuffix("the text is not constant on every path: "+strings.Join(dyn, "; ")+"; "+s.Unknown, "; ")
		}
		refuse(whyAt, why)
		return
	}
	var dynamic []string
	compiled := 0
	for _, r := range rets {
		compiled += len(r.opts)
		if r.dynamic != "" {
			dynamic = append(dynamic, r.dynamic)
		}
		for _, o := range r.opts {
			for _, tx := range o.st.texts {
				s.Texts = append(s.Texts, tx.Name)
			}
			s.Files = append(s.Files, o.st.files...)
			for k := range o.st.sources {
				if s.Source == "" || s.Source == k {
					s.Source = k
				} else {
					s.Source = "mixed"
				}
			}
			s.Root = o.st.root
		}
	}
	if compiled == 0 {
		refuse(fd, "no path of "+fn.Name()+" parses a constant text: "+strings.Join(dynamic, "; "))
		return
	}
	if len(dynamic) > 0 {
		s.Fallback = strings.Join(dynamic, "; ")
		s.Unknown = "the text is not constant on every path: " + s.Fallback
	}
	t.funcExecutions(s, fn, rets)
	if s.Refusal == nil {
		t.funcEdits(s, fn, fd, rets)
	}
}

// bareExecution is an execution refused before anything was compiled.
func (t *tpkg) bareExecution(call *ast.CallExpr, r *SiteRefusal) Execution {
	sel := call.Fun.(*ast.SelectorExpr)
	ex := Execution{File: t.key(call), Line: t.line(call), Start: t.offset(call.Pos()), End: t.offset(call.End()),
		Method: sel.Sel.Name, Refusal: r}
	if tv, ok := t.info.Types[call.Args[len(call.Args)-1]]; ok && tv.Type != nil {
		ex.DataType = types.TypeString(tv.Type, types.RelativeTo(t.pkg))
	}
	return ex
}

func (t *tpkg) funcDecl(fn *types.Func) *ast.FuncDecl {
	for _, f := range t.files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok && t.info.Defs[fd.Name] == fn {
				return fd
			}
		}
	}
	return nil
}

// resolveReturn finds the constant texts one return can parse: its chain's own text, or each value
// of the local variable it parses. A value that is not a constant text makes the path dynamic.
func (t *tpkg) resolveReturn(s *Site, fd *ast.FuncDecl, r *funcReturn) string {
	var parses []*ast.CallExpr
	ast.Inspect(r.chain, func(n ast.Node) bool {
		if call, ok := n.(*ast.CallExpr); ok {
			if sel, ok := call.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "Parse" && len(call.Args) == 1 {
				if ss := t.info.Selections[sel]; ss != nil && templateLib(ss.Recv()) != "" {
					parses = append(parses, call)
				}
			}
		}
		return true
	})
	values := []ast.Expr{nil}
	if len(parses) == 1 {
		if id, ok := unparen(parses[0].Args[0]).(*ast.Ident); ok {
			if v, ok := t.info.Uses[id].(*types.Var); ok && v.Pos() >= fd.Pos() && v.Pos() < fd.End() {
				r.local = id
				var dyn []string
				values, dyn = t.localValues(fd, v)
				if len(dyn) > 0 {
					r.dynamic = fmt.Sprintf("%s parses %s, which is %s", t.where(parses[0]), id.Name, strings.Join(dyn, ", "))
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, v := range values {
		st := &chainState{lib: s.Library, funcs: map[string]tmplgen.Func{}, sources: map[string]bool{}}
		if v != nil {
			st.textFor = map[ast.Expr]ast.Expr{parses[0].Args[0]: v}
		}
		_, why := t.evalChain(r.chain, st)
		if why == "" && !st.parsed {
			why = "the template is never parsed here"
		}
		if why != "" {
			if v != nil || len(parses) != 1 {
				return why // a constant value whose chain gotrim cannot follow
			}
			// the chain's own text is not constant (e.g. Parse(param)): this path keeps its template
			r.dynamic = why
			continue
		}
		var key strings.Builder
		for _, tx := range st.texts {
			key.WriteString(tx.Name + "\x00" + tx.Text + "\x00")
		}
		if seen[key.String()] {
			continue
		}
		seen[key.String()] = true
		r.opts = append(r.opts, &funcOption{value: v, st: st})
	}
	return ""
}

// localValues lists the values assigned to a local variable in fd (flow-insensitively: a superset of
// those reaching a use), and why other writes make it unknown (a parameter, x += y, &x, ...).
func (t *tpkg) localValues(fd *ast.FuncDecl, v *types.Var) (values []ast.Expr, dynamic []string) {
	if v.Pos() < fd.Body.Pos() {
		return nil, []string{fmt.Sprintf("the parameter %s of %s", v.Name(), fd.Name.Name)}
	}
	var ids []*ast.Ident
	for id, o := range t.info.Defs {
		if o == v {
			ids = append(ids, id)
		}
	}
	ids = append(ids, t.uses[v]...)
	sort.Slice(ids, func(i, j int) bool { return ids[i].Pos() < ids[j].Pos() })
	for _, id := range ids {
		switch p := t.parents[id].(type) {
		case *ast.AssignStmt:
			i := identIndex(p.Lhs, id)
			if i < 0 {
				continue // read on the right
			}
			if t.info.Defs[id] == v && t.overwritten(p, v) {
				continue // the value declared is replaced on every path before any read
			}
			if (p.Tok == token.ASSIGN || p.Tok == token.DEFINE) && len(p.Lhs) == len(p.Rhs) {
				values = append(values, p.Rhs[i])
				continue
			}
			dynamic = append(dynamic, fmt.Sprintf("set by %s at %s", t.text(p), t.where(p)))
		case *ast.ValueSpec:
			i := identIndex(namesExprs(p.Names), id)
			if i < 0 {
				continue
			}
			if ds, ok := t.parents[t.parents[p]].(*ast.DeclStmt); ok && t.overwritten(ds, v) {
				continue
			}
			if len(p.Values) == len(p.Names) {
				values = append(values, p.Values[i])
				continue
			}
			dynamic = append(dynamic, fmt.Sprintf("declared without its own value at %s", t.where(p)))
		case *ast.UnaryExpr:
			if p.Op == token.AND {
				dynamic = append(dynamic, fmt.Sprintf("taken by address at %s", t.where(p)))
			}
		case *ast.IncDecStmt, *ast.RangeStmt:
			dynamic = append(dynamic, fmt.Sprintf("changed at %s", t.where(p)))
		}
	}
	var consts []ast.Expr
	for _, x := range values {
		if _, ok := t.constString(x); ok {
			consts = append(consts, x)
			continue
		}
		probe := &chainState{sources: map[string]bool{}}
		if _, why := t.resolveText(x, probe); why == "" {
			consts = append(consts, x)
			continue
		}
		if id, ok := unparen(x).(*ast.Ident); ok {
			if pv, ok := t.info.Uses[id].(*types.Var); ok && pv.Pos() >= fd.Pos() && pv.Pos() < fd.Body.Pos() {
				dynamic = append(dynamic, fmt.Sprintf("the parameter %s of %s (at %s)", id.Name, fd.Name.Name, t.where(x)))
				continue
			}
		}
		dynamic = append(dynamic, fmt.Sprintf("%s at %s (not a constant)", t.text(x), t.where(x)))
	}
	return consts, dynamic
}

// funcExecutions compiles every option for the data type all executions share.
func (t *tpkg) funcExecutions(s *Site, fn *types.Func, rets []*funcReturn) {
	var data types.Type
	method, entryArg := "", ""
	var why string
	for i, call := range s.execsAST {
		ex := t.bareExecution(call, nil)
		d := t.info.Types[call.Args[len(call.Args)-1]].Type
		if b, ok := d.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
			why = "the data is an untyped constant"
		}
		name := ""
		if ex.Method == "ExecuteTemplate" {
			n, ok := t.constString(call.Args[1])
			if !ok {
				why = fmt.Sprintf("the template name %s is not a constant", t.text(call.Args[1]))
			}
			name = n
			ex.Entry = n
		}
		if call.Ellipsis.IsValid() {
			why = "the arguments are spread from a slice"
		}
		if d == nil {
			why = "the data's type is not known"
		}
		if i == 0 {
			data, method, entryArg = d, ex.Method, name
		} else if why == "" && (!types.Identical(d, data) || ex.Method != method || name != entryArg) {
			why = fmt.Sprintf("the executions of %s's template differ (method, template name or data type)", fn.Name())
		}
		if why != "" && s.Refusal == nil {
			s.Refusal = &SiteRefusal{Where: t.where(call), Reason: why}
		}
		s.Executions = append(s.Executions, ex)
	}
	if s.Refusal != nil {
		for i := range s.Executions {
			s.Executions[i].Refusal = s.Refusal
		}
		return
	}
	t.funcMethods(s, rets)
	var decls []string
	imports := map[Import]bool{}
	var names []string
	for _, r := range rets {
		for _, o := range r.opts {
			st := o.st
			entry := st.cur
			if entryArg != "" {
				entry = entryArg
			}
			req := tmplgen.Request{Texts: st.texts, Root: st.root, Entry: entry, LeftDelim: st.left,
				RightDelim: st.right, Funcs: st.funcs, HTML: st.lib == "html/template", MissingKey: st.missing,
				Data: data, Pkg: t.pkg}
			req.FuncName = t.optionName(fn, o)
			res, err := tmplgen.Generate(req)
			if err != nil {
				rf := &SiteRefusal{Where: t.where(r.ret), Reason: err.Error()}
				if x, ok := err.(*tmplgen.Refusal); ok {
					rf = &SiteRefusal{Where: t.where(r.ret), Template: x.Template, Pos: x.Pos, Action: x.Action, Reason: x.Reason}
				}
				s.Refusal = rf
				for i := range s.Executions {
					s.Executions[i].Refusal = rf
				}
				return
			}
			o.name = res.FuncName
			decls = append(decls, strings.TrimRight(string(res.Decls), "\n"))
			for _, im := range res.Imports {
				imports[Import{Path: im.Path, Name: im.Name}] = true
			}
			for _, n := range res.Names {
				t.taken[n] = true
			}
			names = append(names, res.Names...)
		}
	}
	// The renderer type the rewritten function returns, and the adapter of the paths left to a template.
	typeName := t.freeName(fn.Name() + "Renderer")
	qual := func(p *types.Package) string {
		if p == t.pkg {
			return ""
		}
		imports[Import{Path: p.Path()}] = true
		return p.Name()
	}
	dataText := types.TypeString(data, qual)
	imports[Import{Path: "io"}] = true
	head := fmt.Sprintf("// %s renders what %s's template renders, compiled to Go.\ntype %s func(w io.Writer, data %s) error",
		typeName, fn.Name(), typeName, dataText)
	names = append([]string{typeName}, names...)
	s.rendererType = typeName
	if s.Fallback != "" {
		adapter := t.freeName(fn.Name() + "Executor")
		s.adapter = adapter
		head += fmt.Sprintf("\n\n// %s runs a template parsed at run time (the paths of %s whose text is not constant).\n"+
			"func %s(execute func(io.Writer, interface{}) error) %s {\n\treturn func(w io.Writer, data %s) error { return execute(w, data) }\n}",
			adapter, fn.Name(), adapter, typeName, dataText)
		names = append(names, adapter)
	}
	decls = append([]string{head}, decls...)
	gen := &Generated{Decls: strings.Join(decls, "\n\n") + "\n", Imports: []Import{}, Names: names}
	for im := range imports {
		gen.Imports = append(gen.Imports, im)
	}
	sort.Slice(gen.Imports, func(i, j int) bool {
		if gen.Imports[i].Path != gen.Imports[j].Path {
			return gen.Imports[i].Path < gen.Imports[j].Path
		}
		return gen.Imports[i].Name < gen.Imports[j].Name
	})
	for i := range s.Executions {
		s.Executions[i].FuncName = fn.Name()
		if i == 0 {
			s.Executions[i].Generated = gen
		}
	}
}

// funcMethods lists the actions of the constant texts that may call a method, for the data type of
// the first execution.
func (t *tpkg) funcMethods(s *Site, rets []*funcReturn) {
	call := s.execsAST[0]
	data := t.info.Types[call.Args[len(call.Args)-1]].Type
	if data == nil {
		return
	}
	entryArg := ""
	if call.Fun.(*ast.SelectorExpr).Sel.Name == "ExecuteTemplate" {
		entryArg, _ = t.constString(call.Args[1])
	}
	seen := map[string]bool{}
	for _, m := range s.Methods {
		seen[m.Pos+"\x00"+m.Name+"\x00"+m.Action] = true
	}
	for _, r := range rets {
		for _, o := range r.opts {
			st := o.st
			entry := st.cur
			if entryArg != "" {
				entry = entryArg
			}
			req := tmplgen.Request{Texts: st.texts, Root: st.root, Entry: entry, LeftDelim: st.left,
				RightDelim: st.right, Funcs: st.funcs, HTML: st.lib == "html/template", MissingKey: st.missing,
				Data: data, Pkg: t.pkg}
			calls, unknown, err := tmplgen.Methods(req)
			if err != nil {
				continue
			}
			for _, c := range calls {
				k := c.Pos + "\x00" + c.Name + "\x00" + c.Action
				if !seen[k] {
					seen[k] = true
					s.Methods = append(s.Methods, MethodCall{Template: c.Template, Pos: c.Pos, Action: c.Action, Name: c.Name, Types: c.Types})
				}
			}
			if unknown != "" && !strings.Contains(s.Unknown, unknown) {
				s.Unknown = strings.TrimPrefix(s.Unknown+"; "+unknown, "; ")
			}
		}
	}
}

// optionName names the function compiled from one text: render + the text variable's name (or the
// function's).
func (t *tpkg) optionName(fn *types.Func, o *funcOption) string {
	base := fn.Name()
	if o.value != nil {
		if id, ok := unparen(o.value).(*ast.Ident); ok {
			base = id.Name
		}
	}
	var b strings.Builder
	for i, r := range base {
		if i == 0 {
			r = unicode.ToUpper(r)
		}
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
			b.WriteRune(r)
		}
	}
	return t.freeName("render" + b.String())
}

// freeName is name, or name2, name3... when the package already declares it.
func (t *tpkg) freeName(name string) string {
	out := name
	for i := 2; t.taken[out] || t.taken[out+"_"]; i++ {
		out = name + strconv.Itoa(i)
	}
	t.taken[out] = true
	return out
}

// funcEdits rewrites the function in place (its result type, each return) and each execution.
func (t *tpkg) funcEdits(s *Site, fn *types.Func, fd *ast.FuncDecl, rets []*funcReturn) {
	var edits []TextEdit
	res := fd.Type.Results.List[0].Type
	edits = append(edits, TextEdit{File: t.key(res), Start: t.offset(res.Pos()), End: t.offset(res.End()), New: s.rendererType})
	var replaced []ast.Node
	deletable := map[types.Object]bool{}
	for _, r := range rets {
		edits = append(edits, TextEdit{File: t.key(r.ret), Start: t.offset(r.ret.Pos()), End: t.offset(r.ret.End()),
			New: t.dispatch(s, r)})
		if r.dynamic == "" {
			replaced = append(replaced, r.ret)
			for _, o := range r.opts {
				for _, obj := range o.st.deletable {
					deletable[obj] = true
				}
			}
		}
	}
	for _, call := range s.execsAST {
		inner := unparen(call.Fun.(*ast.SelectorExpr).X)
		args := make([]string, 0, 2)
		args = append(args, t.text(call.Args[0]))
		args = append(args, t.text(call.Args[len(call.Args)-1]))
		edits = append(edits, TextEdit{File: t.key(call), Start: t.offset(call.Pos()), End: t.offset(call.End()),
			New: t.text(inner) + "(" + strings.Join(args, ", ") + ")"})
	}
	// Package-level variables only the replaced returns read (the function map, a text variable) go.
	objs := make([]types.Object, 0, len(deletable))
	for obj := range deletable {
		objs = append(objs, obj)
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Pos() < objs[j].Pos() })
	for _, obj := range objs {
		if obj.Exported() || obj.Parent() != t.pkg.Scope() {
			continue
		}
		inside := true
		for _, id := range t.uses[obj] {
			in := false
			for _, n := range replaced {
				if id.Pos() >= n.Pos() && id.Pos() < n.End() {
					in = true
				}
			}
			inside = inside && in
		}
		vs := t.specs[obj]
		if inside && vs != nil && len(vs.spec.Names) == 1 {
			edits = append(edits, t.deleteSpec(vs))
		}
	}
	edits = sortedEdits(edits)
	for i := 1; i < len(edits); i++ {
		if edits[i].File == edits[i-1].File && edits[i].Start < edits[i-1].End {
			s.Refusal = &SiteRefusal{Where: t.where(fd), Reason: "the rewrite's edits overlap (an execution inside the function)"}
			return
		}
	}
	s.Edits = edits
}

// dispatch is the code replacing one `return chain`: the compiled renderer of its text, chosen by the
// text's value when the return can parse several; the template itself (through the adapter) for a
// value that is not constant.
func (t *tpkg) dispatch(s *Site, r *funcReturn) string {
	fallback := ""
	if r.dynamic != "" {
		fallback = "return " + s.adapter + "(" + t.text(r.chain) + ".Execute)"
	}
	if len(r.opts) == 0 {
		return fallback
	}
	if r.local == nil || (len(r.opts) == 1 && fallback == "") {
		return "return " + r.opts[0].name
	}
	indent := t.indentOf(r.ret)
	var b strings.Builder
	fmt.Fprintf(&b, "switch %s {\n", r.local.Name)
	for i, o := range r.opts {
		if i == len(r.opts)-1 && fallback == "" {
			fmt.Fprintf(&b, "%sdefault:\n", indent)
		} else {
			fmt.Fprintf(&b, "%scase %s:\n", indent, t.caseValue(o.value))
		}
		fmt.Fprintf(&b, "%s\treturn %s\n", indent, o.name)
	}
	fmt.Fprintf(&b, "%s}", indent)
	if fallback != "" {
		fmt.Fprintf(&b, "\n%s%s", indent, fallback)
	}
	return b.String()
}

// caseValue spells a constant text in a case: the package-level name or literal the source uses, else
// the quoted value.
func (t *tpkg) caseValue(x ast.Expr) string {
	x = unparen(x)
	if _, ok := x.(*ast.BasicLit); ok {
		return t.text(x)
	}
	if id, ok := x.(*ast.Ident); ok {
		if o := t.info.Uses[id]; o != nil && o.Parent() == t.pkg.Scope() {
			return id.Name
		}
	}
	if sel, ok := x.(*ast.SelectorExpr); ok {
		if pid, ok := sel.X.(*ast.Ident); ok {
			if _, ok := t.info.Uses[pid].(*types.PkgName); ok {
				return t.text(x)
			}
		}
	}
	if v, ok := t.constString(x); ok {
		return strconv.Quote(v)
	}
	return t.text(x) // string(b) of an embedded package-level []byte
}

// indentOf is the white space before n on its line.
func (t *tpkg) indentOf(n ast.Node) string {
	src := t.src[t.tokFile(n)]
	i := t.offset(n.Pos())
	j := i
	for j > 0 && (src[j-1] == ' ' || src[j-1] == '\t') {
		j--
	}
	return string(src[j:i])
}

// overwritten says whether the value a local variable is declared with can never be read: the
// declaration is followed at once by a switch with a default, or an if/else chain ending in else,
// each branch of which assigns the variable at its top level before any statement that reads it or
// may leave the branch (break, goto, labels). Then "var text string" or "text := param" followed by
// such a switch does not make the text dynamic.
func (t *tpkg) overwritten(decl ast.Stmt, v *types.Var) bool {
	list, i := t.stmtList(decl)
	if list == nil || i+1 >= len(list) {
		return false
	}
	var branches [][]ast.Stmt
	switch st := list[i+1].(type) {
	case *ast.SwitchStmt:
		if st.Init != nil && t.mentions(st.Init, v, nil) {
			return false
		}
		hasDefault := false
		for _, c := range st.Body.List {
			cc := c.(*ast.CaseClause)
			hasDefault = hasDefault || cc.List == nil
			branches = append(branches, cc.Body)
		}
		if !hasDefault {
			return false
		}
	case *ast.IfStmt:
		cur := st
		for {
			if cur.Init != nil && t.mentions(cur.Init, v, nil) {
				return false
			}
			branches = append(branches, cur.Body.List)
			next, ok := cur.Else.(*ast.IfStmt)
			if ok {
				cur = next
				continue
			}
			last, ok := cur.Else.(*ast.BlockStmt)
			if !ok {
				return false // no final else: the declared value survives
			}
			branches = append(branches, last.List)
			break
		}
	default:
		return false
	}
	for _, b := range branches {
		assigned := false
		for _, st := range b {
			if as, ok := st.(*ast.AssignStmt); ok && as.Tok == token.ASSIGN && len(as.Lhs) == len(as.Rhs) {
				for _, l := range as.Lhs {
					if id, ok := l.(*ast.Ident); ok && t.info.Uses[id] == v && !t.mentions(as, v, id) {
						assigned = true
					}
				}
				if assigned {
					break
				}
			}
			if t.mentions(st, v, nil) || leaves(st) {
				break
			}
		}
		if !assigned {
			return false
		}
	}
	return true
}

// mentions says whether n uses v anywhere but at the identifier except.
func (t *tpkg) mentions(n ast.Node, v *types.Var, except *ast.Ident) bool {
	found := false
	ast.Inspect(n, func(c ast.Node) bool {
		if id, ok := c.(*ast.Ident); ok && id != except && t.info.Uses[id] == v {
			found = true
		}
		return !found
	})
	return found
}

// leaves says whether a statement holds a break, continue, goto, fallthrough or label.
func leaves(n ast.Node) bool {
	found := false
	ast.Inspect(n, func(c ast.Node) bool {
		switch c.(type) {
		case *ast.BranchStmt, *ast.LabeledStmt:
			found = true
		}
		return !found
	})
	return found
}
