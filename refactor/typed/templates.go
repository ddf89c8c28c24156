package main

// The `templates` subcommand: every text/template and html/template execution of the requested
// packages, with the template set and the data type resolved from the source, compiled to plain Go
// by tmplgen, and the edits that replace the template by the generated code. The format is documented
// in README.md ("templates").

import (
	"errors"
	"fmt"
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	pathpkg "path"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing/fstest"
	"unicode"

	"gotrim/typed/tmplgen"
)

// TemplatesVersion is the version of the `templates` answer.
const TemplatesVersion = 1

// TemplatesResponse is what `templates` writes.
type TemplatesResponse struct {
	Version   int               `json:"version"`
	Toolchain string            `json:"toolchain"`
	Packages  []TemplatePackage `json:"packages"`
}

// TemplatePackage lists the template sites and reflect method calls of one package.
type TemplatePackage struct {
	ImportPath   string        `json:"import_path"`
	Name         string        `json:"name"`
	OK           bool          `json:"ok"`
	Errors       []string      `json:"errors"`
	Sites        []Site        `json:"sites"`
	ReflectCalls []ReflectCall `json:"reflect_calls"`
}

// Site is one template value and its executions: a variable (package-level or local) built from a
// template chain, or a chain executed where it is built.
type Site struct {
	Name       string       `json:"name"` // the variable; "" for an inline chain or an unknown origin
	Kind       string       `json:"kind"` // package-var, local, inline, unknown
	Library    string       `json:"library"`
	File       string       `json:"file"` // where it is built (the first execution when unknown)
	Line       int          `json:"line"`
	Start      int          `json:"start"`
	End        int          `json:"end"`
	Source     string       `json:"source"` // constant, embed, file, mixed; "" when the text is not known
	Files      []string     `json:"files"`  // the files the texts come from (embedded or read)
	Root       string       `json:"root"`
	Texts      []string     `json:"texts"` // names of the texts parsed, in order
	Executions []Execution  `json:"executions"`
	Edits      []TextEdit   `json:"edits"`   // set when every execution is rewritten
	Refusal    *SiteRefusal `json:"refusal"` // why not (null when edits are set)
	Methods    []MethodCall `json:"methods"` // actions that may call a method (known texts only)
	Unknown    string       `json:"methods_unknown"`
	// Fallback (kind func): why some paths of the function parse a text that is not constant; those
	// paths keep their template (the edits compile the others), so text/template stays linked.
	Fallback     string `json:"fallback"`
	rendererType string
	adapter      string
	generated    map[string]*Execution
	chain        *chainState
	execsAST     []*ast.CallExpr
	construct    ast.Node
	deletions    []TextEdit
	refuseSite   string
}

// Execution is one Execute or ExecuteTemplate call of a site.
type Execution struct {
	File      string       `json:"file"`
	Line      int          `json:"line"`
	Start     int          `json:"start"`
	End       int          `json:"end"`
	Method    string       `json:"method"`
	Entry     string       `json:"entry"`
	DataType  string       `json:"data_type"`
	FuncName  string       `json:"func_name"`
	Generated *Generated   `json:"generated"` // null when refused or when an earlier execution has it
	Refusal   *SiteRefusal `json:"refusal"`
}

// Generated is tmplgen's output for one execution.
type Generated struct {
	Decls   string   `json:"decls"`
	Imports []Import `json:"imports"`
	Names   []string `json:"names"`
}

// Import is an import the generated code needs; name is "" for the package's own name.
type Import struct {
	Path string `json:"path"`
	Name string `json:"name"`
}

// SiteRefusal says why a site is not rewritten, where.
type SiteRefusal struct {
	Where    string `json:"where"` // file:line of the call or construction concerned
	Template string `json:"template"`
	Pos      string `json:"pos"`
	Action   string `json:"action"`
	Reason   string `json:"reason"`
}

// TextEdit replaces bytes [Start, End) of File by New.
type TextEdit struct {
	File  string `json:"file"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	New   string `json:"new"`
}

// MethodCall is an action that may call a method.
type MethodCall struct {
	Template string   `json:"template"`
	Pos      string   `json:"pos"`
	Action   string   `json:"action"`
	Name     string   `json:"name"`
	Types    []string `json:"types"`
}

func init() {
	register(command{name: "templates", summary: "template executions and reflect method calls; generated Go for each", run: runTemplates})
}

func runTemplates(args []string, stdin io.Reader, stdout io.Writer) error {
	return serveRequest("templates", args, stdin, stdout, func(req *Request) any { return AnalyseTemplates(req) })
}

// AnalyseTemplates finds the template sites and reflect method calls of every requested package.
func AnalyseTemplates(req *Request) *TemplatesResponse {
	enableAliases()
	fset := token.NewFileSet()
	imp := exportImporter(fset, req)
	resp := &TemplatesResponse{Version: TemplatesVersion, Toolchain: runtime.Version(), Packages: []TemplatePackage{}}
	for i := range req.Packages {
		resp.Packages = append(resp.Packages, templatesOf(fset, imp, req, &req.Packages[i]))
	}
	return resp
}

// exportImporter imports from the export data files of the request.
func exportImporter(fset *token.FileSet, req *Request) types.ImporterFrom {
	lookup := func(path string) (io.ReadCloser, error) {
		file := req.Exports[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %s (go list reported none: does it build?)", path)
		}
		return os.Open(file)
	}
	return importer.ForCompiler(fset, "gc", lookup).(types.ImporterFrom)
}

// ---------------------------------------------------------------------------------------------------
// one package

type tpkg struct {
	fset     *token.FileSet
	pkg      *types.Package
	info     *types.Info
	dir      string
	keyRoot  string
	files    []*ast.File
	src      map[*token.File][]byte
	keys     map[*token.File]string
	parents  map[ast.Node]ast.Node
	assigned map[types.Object]bool // objects assigned, incremented or whose address is taken
	uses     map[types.Object][]*ast.Ident
	specs    map[types.Object]*varSpec
	taken    map[string]bool
}

type varSpec struct {
	gen   *ast.GenDecl
	spec  *ast.ValueSpec
	index int
	file  *ast.File
}

func templatesOf(fset *token.FileSet, imp types.ImporterFrom, req *Request, p *PackageRequest) TemplatePackage {
	out := TemplatePackage{ImportPath: p.ImportPath, Errors: []string{}, Sites: []Site{}, ReflectCalls: []ReflectCall{}}
	t := checkTpkg(fset, imp, req, p, &out)
	if t == nil || !out.OK {
		return out // edits over code that does not type-check would be guesses
	}
	out.Sites = t.sites()
	out.ReflectCalls = t.reflectCalls()
	return out
}

// checkTpkg parses and type-checks one requested package and indexes it; out gets its name, errors and
// ok. nil when no file parses or the checker gives up.
func checkTpkg(fset *token.FileSet, imp types.ImporterFrom, req *Request, p *PackageRequest, out *TemplatePackage) *tpkg {
	fail := func(msg string) {
		if len(out.Errors) < req.MaxErrors {
			out.Errors = append(out.Errors, msg)
		}
	}
	t := &tpkg{fset: fset, dir: p.Dir, keyRoot: req.KeyRoot, src: map[*token.File][]byte{}, keys: map[*token.File]string{},
		parents: map[ast.Node]ast.Node{}, assigned: map[types.Object]bool{}, uses: map[types.Object][]*ast.Ident{},
		specs: map[types.Object]*varSpec{}, taken: map[string]bool{}}
	for _, list := range [][]string{p.GoFiles, p.CgoFiles} {
		for _, name := range list {
			if !filepath.IsAbs(name) {
				name = filepath.Join(p.Dir, name)
			}
			src, err := os.ReadFile(name)
			if err != nil {
				fail(err.Error())
				continue
			}
			f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
			var el scanner.ErrorList
			if errors.As(err, &el) {
				for _, e := range el {
					fail(e.Error())
				}
			} else if err != nil {
				fail(err.Error())
			}
			if f != nil {
				t.files = append(t.files, f)
				tf := fset.File(f.Pos())
				t.src[tf] = src
				t.keys[tf] = keyPath(req.KeyRoot, name)
			}
		}
	}
	if len(t.files) == 0 {
		return nil
	}
	conf := types.Config{
		Importer:    mappedImporter{imp, p.ImportMap},
		Sizes:       types.SizesFor("gc", req.GOARCH),
		FakeImportC: len(p.CgoFiles) > 0,
		Error:       func(err error) { fail(err.Error()) },
	}
	if m := goVersionRE.FindStringSubmatch(p.GoVersion); m != nil {
		conf.GoVersion = "go" + m[1]
	}
	t.info = &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
	}
	pkg, _ := conf.Check(p.ImportPath, fset, t.files, t.info)
	out.OK = len(out.Errors) == 0
	if pkg == nil {
		return nil
	}
	out.Name = pkg.Name()
	t.pkg = pkg
	for _, name := range pkg.Scope().Names() {
		t.taken[name] = true
	}
	t.index()
	return t
}

// index records parents, uses, assignments and package-level var specs.
func (t *tpkg) index() {
	for _, f := range t.files {
		var stack []ast.Node
		ast.Inspect(f, func(n ast.Node) bool {
			if n == nil {
				stack = stack[:len(stack)-1]
				return true
			}
			if len(stack) > 0 {
				t.parents[n] = stack[len(stack)-1]
			}
			stack = append(stack, n)
			switch n := n.(type) {
			case *ast.Ident:
				if obj := t.info.Uses[n]; obj != nil {
					t.uses[obj] = append(t.uses[obj], n)
				}
			case *ast.AssignStmt:
				for _, l := range n.Lhs {
					t.markAssigned(l)
				}
			case *ast.IncDecStmt:
				t.markAssigned(n.X)
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					t.markAssigned(n.X)
				}
			case *ast.RangeStmt:
				if n.Key != nil {
					t.markAssigned(n.Key)
				}
				if n.Value != nil {
					t.markAssigned(n.Value)
				}
			}
			return true
		})
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.VAR {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if obj := t.info.Defs[name]; obj != nil {
						t.specs[obj] = &varSpec{gen: gd, spec: vs, index: i, file: f}
					}
				}
			}
		}
	}
}

// markAssigned marks the variable an assignment's left side changes (x, x.f, x[i], *x: x).
func (t *tpkg) markAssigned(e ast.Expr) {
	for {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
			continue
		case *ast.IndexExpr:
			e = x.X
			continue
		case *ast.SelectorExpr:
			if _, ok := t.info.Selections[x]; ok {
				e = x.X
				continue
			}
			if obj := t.info.Uses[x.Sel]; obj != nil {
				t.assigned[obj] = true
			}
			return
		case *ast.StarExpr:
			e = x.X
			continue
		case *ast.Ident:
			if obj := t.info.Uses[x]; obj != nil {
				t.assigned[obj] = true
			}
			return
		}
		return
	}
}

func (t *tpkg) tokFile(n ast.Node) *token.File { return t.fset.File(n.Pos()) }

func (t *tpkg) key(n ast.Node) string { return t.keys[t.tokFile(n)] }

func (t *tpkg) offset(p token.Pos) int { return t.fset.Position(p).Offset }

func (t *tpkg) line(n ast.Node) int { return t.fset.Position(n.Pos()).Line }

func (t *tpkg) where(n ast.Node) string { return t.key(n) + ":" + strconv.Itoa(t.line(n)) }

func (t *tpkg) text(n ast.Node) string {
	src := t.src[t.tokFile(n)]
	return string(src[t.offset(n.Pos()):t.offset(n.End())])
}

// templateLib is "text/template" or "html/template" when typ is *Template of that package.
func templateLib(typ types.Type) string {
	if p, ok := typ.(*types.Pointer); ok {
		typ = p.Elem()
	}
	n, ok := typ.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Name() != "Template" {
		return ""
	}
	switch n.Obj().Pkg().Path() {
	case "text/template", "html/template":
		return n.Obj().Pkg().Path()
	}
	return ""
}

// pkgFunc is the template package function a call's Fun names ("New", "Must", ...), or "".
func (t *tpkg) pkgFunc(fun ast.Expr) (lib, name string) {
	sel, ok := unparen(fun).(*ast.SelectorExpr)
	if !ok {
		return "", ""
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return "", ""
	}
	pn, ok := t.info.Uses[id].(*types.PkgName)
	if !ok {
		return "", ""
	}
	switch pn.Imported().Path() {
	case "text/template", "html/template":
		return pn.Imported().Path(), sel.Sel.Name
	}
	return "", ""
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

// ---------------------------------------------------------------------------------------------------
// sites

func (t *tpkg) sites() []Site {
	type group struct {
		site  *Site
		obj   types.Object
		inner ast.Expr
		calls []*ast.CallExpr
	}
	var groups []*group
	byObj := map[types.Object]*group{}
	for _, f := range t.files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			s := t.info.Selections[sel]
			if s == nil || s.Kind() != types.MethodVal || (sel.Sel.Name != "Execute" && sel.Sel.Name != "ExecuteTemplate") {
				return true
			}
			lib := templateLib(s.Recv())
			if lib == "" {
				return true
			}
			recv := unparen(sel.X)
			var obj types.Object
			if id, ok := recv.(*ast.Ident); ok {
				obj = t.info.Uses[id]
			}
			if fn := t.moduleFunc(recv); fn != nil {
				obj = fn // a template returned by a function of the package: one site per function
			}
			if rs, ok := recv.(*ast.SelectorExpr); ok {
				if fs := t.info.Selections[rs]; fs != nil && fs.Kind() == types.FieldVal {
					obj = fs.Obj() // a struct field holding the template
				}
			}
			if obj != nil {
				if g := byObj[obj]; g != nil {
					g.calls = append(g.calls, call)
					return true
				}
				g := &group{site: &Site{Name: obj.Name(), Library: lib}, obj: obj, calls: []*ast.CallExpr{call}}
				byObj[obj] = g
				groups = append(groups, g)
				return true
			}
			groups = append(groups, &group{site: &Site{Library: lib}, inner: recv, calls: []*ast.CallExpr{call}})
			return true
		})
	}
	out := []Site{}
	for _, g := range groups {
		s := g.site
		s.execsAST = g.calls
		s.Files, s.Texts, s.Executions, s.Edits, s.Methods = []string{}, []string{}, []Execution{}, []TextEdit{}, []MethodCall{}
		t.build(s, g.obj, g.inner)
		out = append(out, *s)
	}
	return out
}

// build resolves one site: its construction, its texts, each execution, the edits.
func (t *tpkg) build(s *Site, obj types.Object, inner ast.Expr) {
	first := s.execsAST[0]
	s.File, s.Line, s.Start, s.End = t.key(first), t.line(first), t.offset(first.Pos()), t.offset(first.End())
	if fn, ok := obj.(*types.Func); ok {
		t.funcSite(s, fn)
		return
	}
	var construction ast.Expr
	switch {
	case obj != nil:
		construction = t.construction(s, obj)
	case inner != nil:
		if _, name := t.pkgFunc(chainRoot(inner)); name != "" {
			s.Kind = "inline"
			construction = inner
		} else {
			s.Kind = "unknown"
			s.refuseSite = fmt.Sprintf("the template comes from %s: gotrim follows templates built in a variable or where they are executed", t.text(inner))
		}
	}
	if construction != nil {
		s.File, s.Line = t.key(construction), t.line(construction)
		s.Start, s.End = t.offset(construction.Pos()), t.offset(construction.End())
		st := &chainState{lib: s.Library, funcs: map[string]tmplgen.Func{}, sources: map[string]bool{}}
		_, err := t.evalChain(construction, st)
		s.Root = st.root
		if err != "" {
			s.refuseSite = err
		} else if !st.parsed {
			s.refuseSite = "the template is never parsed here"
		} else {
			s.chain = st
			s.Root = st.root
			for _, tx := range st.texts {
				s.Texts = append(s.Texts, tx.Name)
			}
			s.Files = append(s.Files, st.files...)
			s.Source = sourceKind(st.sources)
		}
	}
	if s.refuseSite != "" {
		where := t.where(first)
		if construction != nil {
			where = t.where(construction)
		}
		s.Refusal = &SiteRefusal{Where: where, Reason: s.refuseSite}
		s.Unknown = "the template is not resolved: " + s.refuseSite
	}
	t.executions(s)
	if s.Refusal == nil {
		for i := range s.Executions {
			if r := s.Executions[i].Refusal; r != nil {
				s.Refusal = r
				break
			}
		}
	}
	if s.Refusal == nil {
		t.edits(s, construction)
	}
}

func sourceKind(m map[string]bool) string {
	if len(m) == 1 {
		for k := range m {
			return k
		}
	}
	if len(m) > 1 {
		return "mixed"
	}
	return ""
}

// chainRoot is the innermost call of a chain like template.Must(template.New("x").Parse(s)).
func chainRoot(e ast.Expr) ast.Expr {
	for {
		e = unparen(e)
		call, ok := e.(*ast.CallExpr)
		if !ok {
			return e
		}
		if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
			if _, isCall := unparen(sel.X).(*ast.CallExpr); isCall {
				e = sel.X
				continue
			}
			if len(call.Args) > 0 {
				if inner, ok := unparen(call.Args[0]).(*ast.CallExpr); ok && sel.Sel.Name == "Must" {
					e = inner
					continue
				}
			}
			return call.Fun
		}
		return call.Fun
	}
}

// construction finds the expression a template variable is built from, once, and checks that the
// variable is used only by the site's executions.
func (t *tpkg) construction(s *Site, obj types.Object) ast.Expr {
	if v, ok := obj.(*types.Var); ok && v.IsField() {
		return t.fieldConstruction(s, v)
	}
	execRecv := map[*ast.Ident]bool{}
	for _, c := range s.execsAST {
		if id, ok := unparen(c.Fun.(*ast.SelectorExpr).X).(*ast.Ident); ok {
			execRecv[id] = true
		}
	}
	for _, id := range t.uses[obj] {
		if !execRecv[id] {
			s.refuseSite = fmt.Sprintf("%s is used at %s other than by Execute/ExecuteTemplate", obj.Name(), t.where(id))
			return nil
		}
	}
	if obj.Pkg() != t.pkg {
		s.Kind = "unknown"
		s.refuseSite = fmt.Sprintf("the template %s is declared in package %s", obj.Name(), obj.Pkg().Path())
		return nil
	}
	if obj.Parent() == t.pkg.Scope() {
		s.Kind = "package-var"
		vs := t.specs[obj]
		if vs == nil || len(vs.spec.Values) != len(vs.spec.Names) {
			s.refuseSite = fmt.Sprintf("the package-level variable %s is not declared with its own value", obj.Name())
			return nil
		}
		if obj.Exported() {
			s.refuseSite = fmt.Sprintf("%s is exported: other packages may use the template", obj.Name())
			return nil
		}
		s.construct = vs.spec
		return vs.spec.Values[vs.index]
	}
	s.Kind = "local"
	var def *ast.Ident
	for id, o := range t.info.Defs {
		if o == obj {
			def = id
			break
		}
	}
	if def == nil {
		s.refuseSite = fmt.Sprintf("the declaration of %s is not found", obj.Name())
		return nil
	}
	switch p := t.parents[def].(type) {
	case *ast.Field:
		fn := "a function literal"
		for n := t.parents[p]; n != nil; n = t.parents[n] {
			if fd, ok := n.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
				break
			}
		}
		s.Kind = "unknown"
		s.refuseSite = fmt.Sprintf("the template is the parameter %s of %s (%s): gotrim follows templates built in the function or package that executes them", obj.Name(), fn, t.where(def))
		return nil
	case *ast.AssignStmt:
		i := identIndex(p.Lhs, def)
		if p.Tok != token.DEFINE || i < 0 {
			break
		}
		if len(p.Rhs) == len(p.Lhs) {
			if len(p.Lhs) != 1 {
				s.refuseSite = fmt.Sprintf("%s is declared with other variables at %s", obj.Name(), t.where(p))
				return nil
			}
			s.construct = p
			return p.Rhs[0]
		}
		if len(p.Rhs) == 1 && len(p.Lhs) == 2 && i == 0 {
			s.construct = p
			return p.Rhs[0]
		}
	case *ast.ValueSpec:
		if len(p.Values) == len(p.Names) && len(p.Names) == 1 {
			if ds, ok := t.parents[t.parents[p]].(*ast.DeclStmt); ok {
				s.construct = ds
				return p.Values[0]
			}
		}
		if len(p.Values) == 1 && len(p.Names) == 2 && identIndex(namesExprs(p.Names), def) == 0 {
			if ds, ok := t.parents[t.parents[p]].(*ast.DeclStmt); ok {
				s.construct = ds
				return p.Values[0]
			}
		}
	}
	s.refuseSite = fmt.Sprintf("%s is not declared in a form gotrim follows (x := chain, x, err := chain, var x = chain) at %s", obj.Name(), t.where(def))
	return nil
}

// fieldConstruction follows a template held in an unexported struct field: the field must be set
// once in the package (a keyed composite literal or an assignment), from a template chain or from a
// local variable built by one and used for nothing else, and read only by the site's executions.
// The construction stays in place (the rewrite replaces only the executions: without them the
// evaluator, and its method lookup, is unreachable).
func (t *tpkg) fieldConstruction(s *Site, field *types.Var) ast.Expr {
	s.Kind = "field"
	if field.Exported() || field.Pkg() != t.pkg {
		s.refuseSite = fmt.Sprintf("the template is held in the field %s, which other packages can set", field.Name())
		return nil
	}
	execRecv := map[*ast.Ident]bool{}
	for _, c := range s.execsAST {
		if rs, ok := unparen(c.Fun.(*ast.SelectorExpr).X).(*ast.SelectorExpr); ok {
			execRecv[rs.Sel] = true
		}
	}
	var values []ast.Expr
	for _, id := range t.uses[field] {
		if execRecv[id] {
			continue
		}
		if kv, ok := t.parents[id].(*ast.KeyValueExpr); ok && kv.Key == id {
			values = append(values, kv.Value)
			continue
		}
		if sel, ok := t.parents[id].(*ast.SelectorExpr); ok && sel.Sel == id {
			if as, ok := t.parents[sel].(*ast.AssignStmt); ok && as.Tok == token.ASSIGN && len(as.Lhs) == len(as.Rhs) {
				if j := identIndexExpr(as.Lhs, sel); j >= 0 {
					values = append(values, as.Rhs[j])
					continue
				}
			}
		}
		s.refuseSite = fmt.Sprintf("the field %s holding the template is used at %s other than by Execute/ExecuteTemplate", field.Name(), t.where(id))
		return nil
	}
	if len(values) != 1 {
		s.refuseSite = fmt.Sprintf("the field %s holding the template is set in %d places", field.Name(), len(values))
		return nil
	}
	v := unparen(values[0])
	id, ok := v.(*ast.Ident)
	if !ok {
		return v
	}
	local, ok := t.info.Uses[id].(*types.Var)
	if !ok || local.Parent() == t.pkg.Scope() || t.assigned[local] {
		s.refuseSite = fmt.Sprintf("the field %s is set from %s at %s, which gotrim does not follow", field.Name(), id.Name, t.where(id))
		return nil
	}
	for _, u := range t.uses[local] {
		if u != id {
			s.refuseSite = fmt.Sprintf("%s, stored in the field %s, is also used at %s", id.Name, field.Name(), t.where(u))
			return nil
		}
	}
	for d, o := range t.info.Defs {
		if o != local {
			continue
		}
		if as, ok := t.parents[d].(*ast.AssignStmt); ok && as.Tok == token.DEFINE && len(as.Rhs) == 1 &&
			(len(as.Lhs) == 1 || (len(as.Lhs) == 2 && as.Lhs[0] == d)) {
			return as.Rhs[0]
		}
	}
	s.refuseSite = fmt.Sprintf("%s, stored in the field %s, is not built by a template chain gotrim follows", id.Name, field.Name())
	return nil
}

func identIndexExpr(list []ast.Expr, e ast.Expr) int {
	for i, x := range list {
		if x == e {
			return i
		}
	}
	return -1
}

func identIndex(list []ast.Expr, id *ast.Ident) int {
	for i, e := range list {
		if e == id {
			return i
		}
	}
	return -1
}

func namesExprs(names []*ast.Ident) []ast.Expr {
	out := make([]ast.Expr, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}

// ---------------------------------------------------------------------------------------------------
// the chain that builds a template

type chainState struct {
	lib        string
	root, cur  string
	texts      []tmplgen.Text
	left       string
	right      string
	funcs      map[string]tmplgen.Func
	missing    string
	sources    map[string]bool
	files      []string
	parsed     bool
	deletable  []types.Object // package-level vars the chain alone reads (embed.FS, FuncMap, texts)
	funcImport []tmplgen.Import
	textFor    map[ast.Expr]ast.Expr // Parse argument -> the expression it stands for (funcSite)
}

// evalChain follows a chain of template calls; it returns whether the value is (t, error), or a reason.
func (t *tpkg) evalChain(e ast.Expr, st *chainState) (pair bool, refuse string) {
	e = unparen(e)
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false, fmt.Sprintf("the template is built from %s at %s, which gotrim does not follow", t.text(e), t.where(e))
	}
	if lib, name := t.pkgFunc(call.Fun); lib != "" {
		st.lib = lib
		switch name {
		case "New":
			n, ok := t.constString(call.Args[0])
			if !ok {
				return false, fmt.Sprintf("the template name %s at %s is not a constant", t.text(call.Args[0]), t.where(call))
			}
			st.root, st.cur = n, n
			return false, ""
		case "Must":
			pair, why := t.evalChain(call.Args[0], st)
			if why != "" {
				return false, why
			}
			if !pair {
				return false, fmt.Sprintf("Must of %s at %s", t.text(call.Args[0]), t.where(call))
			}
			return false, ""
		case "ParseFS", "ParseFiles", "ParseGlob":
			return true, t.parseFiles(name, call, st, true)
		}
		return false, fmt.Sprintf("%s.%s at %s is not followed", pathpkg.Base(lib), name, t.where(call))
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false, fmt.Sprintf("the template comes from the call %s at %s", t.text(call), t.where(call))
	}
	s := t.info.Selections[sel]
	if s == nil || templateLib(s.Recv()) == "" {
		return false, fmt.Sprintf("the template comes from the call %s at %s", t.text(call), t.where(call))
	}
	pair, why := t.evalChain(sel.X, st)
	if why != "" {
		return false, why
	}
	if pair {
		return false, fmt.Sprintf("%s at %s is called on a (template, error) pair", sel.Sel.Name, t.where(call))
	}
	switch sel.Sel.Name {
	case "New":
		n, ok := t.constString(call.Args[0])
		if !ok {
			return false, fmt.Sprintf("the template name %s at %s is not a constant", t.text(call.Args[0]), t.where(call))
		}
		st.cur = n
		return false, ""
	case "Lookup":
		n, ok := t.constString(call.Args[0])
		if !ok {
			return false, fmt.Sprintf("the template name %s at %s is not a constant", t.text(call.Args[0]), t.where(call))
		}
		st.cur = n
		return false, ""
	case "Parse":
		arg := call.Args[0]
		if x, ok := st.textFor[arg]; ok {
			arg = x // one of the values a function's local variable can have (funcSite)
		}
		text, why := t.resolveText(arg, st)
		if why != "" {
			return false, why
		}
		st.texts = append(st.texts, tmplgen.Text{Name: st.cur, Text: text})
		st.parsed = true
		return true, ""
	case "ParseFS", "ParseFiles", "ParseGlob":
		return true, t.parseFiles(sel.Sel.Name, call, st, false)
	case "Funcs":
		return false, t.resolveFuncs(call.Args[0], st)
	case "Delims":
		l, ok1 := t.constString(call.Args[0])
		r, ok2 := t.constString(call.Args[1])
		if !ok1 || !ok2 {
			return false, fmt.Sprintf("the delimiters at %s are not constants", t.where(call))
		}
		if st.parsed {
			return false, fmt.Sprintf("Delims at %s comes after a Parse", t.where(call))
		}
		st.left, st.right = l, r
		return false, ""
	case "Option":
		for _, a := range call.Args {
			o, ok := t.constString(a)
			if !ok || !strings.HasPrefix(o, "missingkey=") {
				return false, fmt.Sprintf("the option %s at %s is not a constant missingkey option", t.text(a), t.where(call))
			}
			st.missing = strings.TrimPrefix(o, "missingkey=")
		}
		if call.Ellipsis.IsValid() {
			return false, fmt.Sprintf("the options at %s are not constants", t.where(call))
		}
		return false, ""
	case "Clone":
		return true, ""
	}
	return false, fmt.Sprintf("the template is built with %s at %s, which gotrim does not follow", sel.Sel.Name, t.where(call))
}

// constString is the value of a constant string expression.
func (t *tpkg) constString(e ast.Expr) (string, bool) {
	tv, ok := t.info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// resolveText is the text a Parse argument always has: a constant, a package-level string variable
// set once (by its declaration or //go:embed), or string() of an embedded []byte.
func (t *tpkg) resolveText(e ast.Expr, st *chainState) (string, string) {
	if s, ok := t.constString(e); ok {
		st.sources["constant"] = true
		return s, ""
	}
	x := unparen(e)
	if call, ok := x.(*ast.CallExpr); ok && len(call.Args) == 1 {
		if tv, ok := t.info.Types[call.Fun]; ok && tv.IsType() {
			x = unparen(call.Args[0])
		}
	}
	id, ok := x.(*ast.Ident)
	if ok {
		obj, _ := t.info.Uses[id].(*types.Var)
		if obj != nil && obj.Parent() == t.pkg.Scope() && !t.assigned[obj] {
			if vs := t.specs[obj]; vs != nil {
				if patterns := embedPatterns(vs); len(patterns) > 0 {
					files, why := t.embedFiles(patterns)
					if why != "" {
						return "", why
					}
					if len(files) != 1 {
						return "", fmt.Sprintf("%s embeds %d files", obj.Name(), len(files))
					}
					data, err := os.ReadFile(filepath.Join(t.dir, filepath.FromSlash(files[0])))
					if err != nil {
						return "", err.Error()
					}
					st.sources["embed"] = true
					st.files = append(st.files, t.fileKey(files[0]))
					st.deletable = append(st.deletable, obj)
					return string(data), ""
				}
				if len(vs.spec.Values) == len(vs.spec.Names) {
					if s, ok := t.constString(vs.spec.Values[vs.index]); ok {
						st.sources["constant"] = true
						st.deletable = append(st.deletable, obj)
						return s, ""
					}
				}
			}
		}
	}
	return "", fmt.Sprintf("the template text %s at %s is not a constant (nor an embedded file or a variable set once to one)", t.text(e), t.where(e))
}

func (t *tpkg) fileKey(rel string) string {
	return keyPath(t.keyRoot, filepath.Join(t.dir, filepath.FromSlash(rel)))
}

// embedPatterns are the //go:embed patterns of a package-level variable.
func embedPatterns(vs *varSpec) []string {
	var out []string
	for _, cg := range []*ast.CommentGroup{vs.gen.Doc, vs.spec.Doc} {
		if cg == nil || (cg == vs.gen.Doc && len(vs.gen.Specs) != 1) {
			continue
		}
		for _, c := range cg.List {
			if rest, ok := strings.CutPrefix(c.Text, "//go:embed"); ok && (rest == "" || rest[0] == ' ' || rest[0] == '\t') {
				out = append(out, splitEmbed(rest)...)
			}
		}
	}
	return out
}

// splitEmbed splits a //go:embed line into patterns (space-separated, Go-quoted or back-quoted).
func splitEmbed(s string) []string {
	var out []string
	s = strings.TrimSpace(s)
	for s != "" {
		switch s[0] {
		case '"', '`':
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				return append(out, s)
			}
			v, _ := strconv.Unquote(q)
			out = append(out, v)
			s = strings.TrimSpace(s[len(q):])
		default:
			i := strings.IndexAny(s, " \t")
			if i < 0 {
				return append(out, s)
			}
			out = append(out, s[:i])
			s = strings.TrimSpace(s[i:])
		}
	}
	return out
}

// embedFiles lists the files (slash paths relative to the package directory) embedded by patterns,
// as the go command does: a directory embeds its files recursively, except names starting with . or
// _ unless the pattern starts with all:.
func (t *tpkg) embedFiles(patterns []string) ([]string, string) {
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		all := strings.HasPrefix(p, "all:")
		p = strings.TrimPrefix(p, "all:")
		matches, err := filepath.Glob(filepath.Join(t.dir, filepath.FromSlash(p)))
		if err != nil || len(matches) == 0 {
			return nil, fmt.Sprintf("the //go:embed pattern %q matches no file", p)
		}
		for _, m := range matches {
			info, err := os.Stat(m)
			if err != nil {
				return nil, err.Error()
			}
			if !info.IsDir() {
				rel, _ := filepath.Rel(t.dir, m)
				if !seen[rel] {
					seen[rel] = true
					out = append(out, filepath.ToSlash(rel))
				}
				continue
			}
			filepath.WalkDir(m, func(path string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				name := d.Name()
				if path != m && !all && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				if d.IsDir() || !d.Type().IsRegular() {
					return nil
				}
				rel, _ := filepath.Rel(t.dir, path)
				if !seen[rel] {
					seen[rel] = true
					out = append(out, filepath.ToSlash(rel))
				}
				return nil
			})
		}
	}
	sort.Strings(out)
	return out, ""
}

// parseFiles follows ParseFS (of an embedded file system), ParseFiles and ParseGlob (of files of
// the repository, named relative to its root: the working directory the program is run from).
func (t *tpkg) parseFiles(name string, call *ast.CallExpr, st *chainState, fromPackage bool) string {
	args := call.Args
	if call.Ellipsis.IsValid() {
		return fmt.Sprintf("the file names of %s at %s are not constants", name, t.where(call))
	}
	type file struct{ name, text, key string }
	var files []file
	switch name {
	case "ParseFS":
		id, ok := unparen(args[0]).(*ast.Ident)
		var obj types.Object
		if ok {
			obj = t.info.Uses[id]
		}
		vs := t.specs[obj]
		if obj == nil || vs == nil || t.assigned[obj] {
			return fmt.Sprintf("the file system %s of ParseFS at %s is not a package-level //go:embed variable", t.text(args[0]), t.where(call))
		}
		patterns := embedPatterns(vs)
		if len(patterns) == 0 {
			return fmt.Sprintf("%s (ParseFS at %s) has no //go:embed directive", obj.Name(), t.where(call))
		}
		embedded, why := t.embedFiles(patterns)
		if why != "" {
			return why
		}
		mfs := fstest.MapFS{}
		for _, f := range embedded {
			data, err := os.ReadFile(filepath.Join(t.dir, filepath.FromSlash(f)))
			if err != nil {
				return err.Error()
			}
			mfs[f] = &fstest.MapFile{Data: data}
		}
		var names []string
		for _, a := range args[1:] {
			p, ok := t.constString(a)
			if !ok {
				return fmt.Sprintf("the pattern %s of ParseFS at %s is not a constant", t.text(a), t.where(call))
			}
			list, err := fs.Glob(mfs, p)
			if err != nil {
				return fmt.Sprintf("ParseFS at %s: %v", t.where(call), err)
			}
			if len(list) == 0 {
				return fmt.Sprintf("ParseFS at %s: the pattern %q matches no embedded file: executing fails", t.where(call), p)
			}
			names = append(names, list...)
		}
		for _, n := range names {
			mf := mfs[n]
			if mf == nil {
				return fmt.Sprintf("ParseFS at %s: %s is a directory", t.where(call), n)
			}
			files = append(files, file{pathpkg.Base(n), string(mf.Data), t.fileKey(n)})
		}
		st.sources["embed"] = true
		st.deletable = append(st.deletable, obj)
	case "ParseFiles", "ParseGlob":
		var paths []string
		for _, a := range args {
			p, ok := t.constString(a)
			if !ok {
				return fmt.Sprintf("the file name %s of %s at %s is not a constant", t.text(a), name, t.where(call))
			}
			if name == "ParseGlob" {
				if filepath.IsAbs(p) {
					return fmt.Sprintf("ParseGlob at %s reads %s, outside the repository", t.where(call), p)
				}
				list, err := filepath.Glob(filepath.Join(t.keyRoot, p))
				if err != nil || len(list) == 0 {
					return fmt.Sprintf("ParseGlob at %s: %q matches no file of the repository", t.where(call), p)
				}
				paths = append(paths, list...)
				continue
			}
			if filepath.IsAbs(p) {
				return fmt.Sprintf("%s at %s reads %s, outside the repository", name, t.where(call), p)
			}
			paths = append(paths, filepath.Join(t.keyRoot, p))
		}
		if len(paths) == 0 {
			return fmt.Sprintf("%s at %s names no file", name, t.where(call))
		}
		for _, p := range paths {
			rel, err := filepath.Rel(t.keyRoot, p)
			if err != nil || strings.HasPrefix(rel, "..") {
				return fmt.Sprintf("%s at %s reads %s, outside the repository", name, t.where(call), p)
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return fmt.Sprintf("%s at %s: %s is not a file of the repository (it is read from the working directory at run time)", name, t.where(call), filepath.ToSlash(rel))
			}
			files = append(files, file{filepath.Base(p), string(data), filepath.ToSlash(rel)})
		}
		st.sources["file"] = true
	}
	if fromPackage {
		st.root, st.cur = files[0].name, files[0].name
	}
	for _, f := range files {
		st.texts = append(st.texts, tmplgen.Text{Name: f.name, Text: f.text})
		st.files = append(st.files, f.key)
	}
	st.parsed = true
	return ""
}

// resolveFuncs follows Funcs(map): a composite literal, or a package-level variable set once to one.
func (t *tpkg) resolveFuncs(e ast.Expr, st *chainState) string {
	x := unparen(e)
	if id, ok := x.(*ast.Ident); ok {
		obj := t.info.Uses[id]
		vs := t.specs[obj]
		if obj == nil || vs == nil || t.assigned[obj] || len(vs.spec.Values) != len(vs.spec.Names) {
			return fmt.Sprintf("the functions %s at %s are not a literal or a package-level variable set once", t.text(e), t.where(e))
		}
		x = unparen(vs.spec.Values[vs.index])
		st.deletable = append(st.deletable, obj)
	}
	lit, ok := x.(*ast.CompositeLit)
	if !ok {
		return fmt.Sprintf("the functions %s at %s are not a map literal", t.text(e), t.where(e))
	}
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			return fmt.Sprintf("the function map at %s is not keyed", t.where(lit))
		}
		name, ok := t.constString(kv.Key)
		if !ok {
			return fmt.Sprintf("the function name %s at %s is not a constant", t.text(kv.Key), t.where(kv))
		}
		f, why := t.funcFor(kv.Value)
		if why != "" {
			return fmt.Sprintf("function %q: %s", name, why)
		}
		st.funcs[name] = f
	}
	return ""
}

// funcFor is the function a FuncMap value names, callable from the generated file.
func (t *tpkg) funcFor(v ast.Expr) (tmplgen.Func, string) {
	tv, ok := t.info.Types[v]
	if !ok {
		return tmplgen.Func{}, "its type is unknown"
	}
	sig, ok := tv.Type.Underlying().(*types.Signature)
	if !ok {
		return tmplgen.Func{}, fmt.Sprintf("%s at %s is not a function", t.text(v), t.where(v))
	}
	x := unparen(v)
	if id, ok := x.(*ast.Ident); ok {
		if fn, ok := t.info.Uses[id].(*types.Func); ok && fn.Pkg() == t.pkg {
			return tmplgen.Func{Name: fn.Name(), Sig: sig}, ""
		}
	}
	if sel, ok := x.(*ast.SelectorExpr); ok {
		if pid, ok := sel.X.(*ast.Ident); ok {
			if pn, ok := t.info.Uses[pid].(*types.PkgName); ok {
				if fn, ok := t.info.Uses[sel.Sel].(*types.Func); ok {
					return tmplgen.Func{Pkg: pn.Imported().Path(), Name: fn.Name(), Sig: sig}, ""
				}
			}
		}
	}
	imports, why := t.hoistable(x)
	if why != "" {
		return tmplgen.Func{}, why
	}
	return tmplgen.Func{Expr: t.text(x), Imports: imports, Sig: sig}, ""
}

// hoistable says whether an expression means the same in a new file of the package: it names only
// package-level objects, imported packages, the universe and what it declares itself, and calls
// nothing outside function literals (it is evaluated at each call of the generated code).
func (t *tpkg) hoistable(e ast.Expr) ([]tmplgen.Import, string) {
	imports := map[string]tmplgen.Import{}
	why := ""
	var walk func(n ast.Node, inLit bool)
	walk = func(n ast.Node, inLit bool) {
		ast.Inspect(n, func(c ast.Node) bool {
			if why != "" {
				return false
			}
			switch c := c.(type) {
			case *ast.FuncLit:
				walk(c.Type, inLit)
				walk(c.Body, true)
				return false
			case *ast.CallExpr:
				if tv, ok := t.info.Types[c.Fun]; !inLit && !(ok && tv.IsType()) {
					why = fmt.Sprintf("%s at %s calls %s when it is evaluated", t.text(e), t.where(e), t.text(c.Fun))
					return false
				}
			case *ast.SelectorExpr:
				if _, ok := t.info.Selections[c]; ok {
					walk(c.X, inLit)
					return false
				}
			case *ast.Ident:
				obj := t.info.Uses[c]
				if obj == nil {
					return true
				}
				switch o := obj.(type) {
				case *types.PkgName:
					name := c.Name
					if name == o.Imported().Name() {
						name = ""
					}
					imports[o.Imported().Path()] = tmplgen.Import{Path: o.Imported().Path(), Name: name}
					return true
				}
				if obj.Parent() == types.Universe || (obj.Pkg() != nil && obj.Parent() == obj.Pkg().Scope()) {
					return true // the universe, or package-level (this package's, or qualified)
				}
				if obj.Pos() >= e.Pos() && obj.Pos() < e.End() {
					return true
				}
				if _, ok := obj.(*types.Var); ok && obj.(*types.Var).IsField() {
					return true
				}
				why = fmt.Sprintf("%s at %s uses %s, declared in the function around it", t.text(e), t.where(e), c.Name)
				return false
			}
			return true
		})
	}
	walk(e, false)
	if why != "" {
		return nil, why
	}
	out := make([]tmplgen.Import, 0, len(imports))
	for _, im := range imports {
		out = append(out, im)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, ""
}

// ---------------------------------------------------------------------------------------------------
// executions

func (t *tpkg) executions(s *Site) {
	type genKey struct{ file, entry, data string }
	done := map[genKey]string{}
	methodsSeen := map[string]bool{}
	for _, call := range s.execsAST {
		sel := call.Fun.(*ast.SelectorExpr)
		ex := Execution{File: t.key(call), Line: t.line(call), Start: t.offset(call.Pos()), End: t.offset(call.End()),
			Method: sel.Sel.Name}
		refuse := func(reason string) {
			ex.Refusal = &SiteRefusal{Where: t.where(call), Reason: reason}
		}
		dataArg := call.Args[len(call.Args)-1]
		data := t.info.Types[dataArg].Type
		if b, ok := data.(*types.Basic); ok && b.Info()&types.IsUntyped != 0 {
			if b.Kind() == types.UntypedNil {
				data = types.NewInterfaceType(nil, nil).Complete()
			} else {
				data = types.Default(data)
			}
		}
		if data != nil {
			ex.DataType = types.TypeString(data, types.RelativeTo(t.pkg))
		}
		st := s.chain
		if st != nil {
			ex.Entry = st.cur
		}
		if sel.Sel.Name == "ExecuteTemplate" {
			n, ok := t.constString(call.Args[1])
			if !ok {
				refuse(fmt.Sprintf("the template name %s is not a constant", t.text(call.Args[1])))
			}
			ex.Entry = n
		}
		if call.Ellipsis.IsValid() {
			refuse("the arguments are spread from a slice")
		}
		if s.refuseSite != "" && ex.Refusal == nil {
			ex.Refusal = &SiteRefusal{Where: t.where(call), Reason: s.refuseSite}
		}
		if ex.Refusal == nil && data == nil {
			refuse("the data's type is not known")
		}
		if ex.Refusal == nil {
			req := tmplgen.Request{Texts: st.texts, Root: st.root, Entry: ex.Entry, LeftDelim: st.left,
				RightDelim: st.right, Funcs: st.funcs, HTML: st.lib == "html/template", MissingKey: st.missing,
				Data: data, Pkg: t.pkg}
			calls, unknown, err := tmplgen.Methods(req)
			if err == nil {
				for _, c := range calls {
					k := c.Pos + "\x00" + c.Name
					if !methodsSeen[k] {
						methodsSeen[k] = true
						s.Methods = append(s.Methods, MethodCall{Template: c.Template, Pos: c.Pos, Action: c.Action, Name: c.Name, Types: c.Types})
					}
				}
				if s.Unknown == "" {
					s.Unknown = unknown
				}
			}
			k := genKey{ex.File, ex.Entry, ex.DataType}
			if name, ok := done[k]; ok {
				ex.FuncName = name
			} else {
				req.FuncName = t.funcName(s, ex.Entry)
				res, err := tmplgen.Generate(req)
				var rf *tmplgen.Refusal
				switch {
				case errors.As(err, &rf):
					ex.Refusal = &SiteRefusal{Where: t.where(call), Template: rf.Template, Pos: rf.Pos, Action: rf.Action, Reason: rf.Reason}
				case err != nil:
					refuse(err.Error())
				default:
					ex.FuncName = res.FuncName
					ex.Generated = &Generated{Decls: string(res.Decls), Imports: []Import{}, Names: res.Names}
					for _, im := range res.Imports {
						ex.Generated.Imports = append(ex.Generated.Imports, Import{Path: im.Path, Name: im.Name})
					}
					for _, n := range res.Names {
						t.taken[n] = true
					}
					done[k] = res.FuncName
				}
			}
		}
		s.Executions = append(s.Executions, ex)
	}
}

// funcName is a new package-level name for a generated function: render + the site's name.
func (t *tpkg) funcName(s *Site, entry string) string {
	base := s.Name
	if base == "" || base == "t" || base == "tmpl" || base == "tpl" || (entry != "" && entry != s.Root) {
		base = entry
	}
	var b strings.Builder
	up := true
	for _, r := range base {
		if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || r > unicode.MaxASCII {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	name := "render" + b.String()
	if name == "render" {
		name = "renderTemplate"
	}
	out := name
	for i := 2; t.taken[out] || t.taken[out+"_"]; i++ {
		out = name + strconv.Itoa(i)
	}
	t.taken[out] = true
	return out
}

// ---------------------------------------------------------------------------------------------------
// edits

func (t *tpkg) edits(s *Site, construction ast.Expr) {
	var edits []TextEdit
	for i, call := range s.execsAST {
		ex := s.Executions[i]
		w := call.Args[0]
		data := call.Args[len(call.Args)-1]
		edits = append(edits, TextEdit{File: ex.File, Start: ex.Start, End: ex.End,
			New: ex.FuncName + "(" + t.text(w) + ", " + t.text(data) + ")"})
	}
	switch s.Kind {
	case "field":
		// the construction stays: without the executions the evaluator is unreachable
		s.Edits = sortedEdits(edits)
		return
	case "package-var":
		vs := t.specs[t.objOf(s)]
		edits = append(edits, t.deleteSpec(vs))
	case "local":
		e, why := t.deleteLocal(s)
		if why != "" {
			s.Refusal = &SiteRefusal{Where: t.where(construction), Reason: why}
			return
		}
		edits = append(edits, e...)
	}
	// Package-level variables only this construction reads (the embedded files, the function map, a
	// text variable) go with it.
	for _, obj := range s.chain.deletable {
		if obj.Exported() || obj.Parent() != t.pkg.Scope() {
			continue
		}
		inside := true
		for _, id := range t.uses[obj] {
			if id.Pos() < construction.Pos() || id.Pos() >= construction.End() {
				inside = false
			}
		}
		vs := t.specs[obj]
		if inside && vs != nil && len(vs.spec.Names) == 1 {
			edits = append(edits, t.deleteSpec(vs))
		}
	}
	edits = sortedEdits(edits)
	for i := 1; i < len(edits); i++ {
		if edits[i].File == edits[i-1].File && edits[i].Start < edits[i-1].End {
			s.Refusal = &SiteRefusal{Where: t.where(construction), Reason: "the rewrite's edits overlap (an execution inside the construction)"}
			return
		}
	}
	s.Edits = edits
}

func sortedEdits(edits []TextEdit) []TextEdit {
	sort.Slice(edits, func(i, j int) bool {
		if edits[i].File != edits[j].File {
			return edits[i].File < edits[j].File
		}
		return edits[i].Start < edits[j].Start
	})
	return edits
}

func (t *tpkg) objOf(s *Site) types.Object {
	call := s.execsAST[0]
	id := unparen(call.Fun.(*ast.SelectorExpr).X).(*ast.Ident)
	return t.info.Uses[id]
}

// deleteSpec removes a package-level var spec (its whole declaration when it is alone), with its
// comments and line.
func (t *tpkg) deleteSpec(vs *varSpec) TextEdit {
	var n ast.Node = vs.spec
	start := vs.spec.Pos()
	if vs.spec.Doc != nil {
		start = vs.spec.Doc.Pos()
	}
	end := vs.spec.End()
	if len(vs.gen.Specs) == 1 {
		n = vs.gen
		start = vs.gen.Pos()
		if vs.gen.Doc != nil {
			start = vs.gen.Doc.Pos()
		}
		end = vs.gen.End()
	}
	if vs.spec.Comment != nil && vs.spec.Comment.End() > end {
		end = vs.spec.Comment.End()
	}
	return t.lineEdit(n, start, end, "")
}

// lineEdit deletes [start, end) and, when they are alone on their lines, the lines themselves.
func (t *tpkg) lineEdit(n ast.Node, startPos, endPos token.Pos, repl string) TextEdit {
	src := t.src[t.tokFile(n)]
	start, end := t.offset(startPos), t.offset(endPos)
	ls := start
	for ls > 0 && (src[ls-1] == ' ' || src[ls-1] == '\t') {
		ls--
	}
	le := end
	for le < len(src) && (src[le] == ' ' || src[le] == '\t') {
		le++
	}
	if (ls == 0 || src[ls-1] == '\n') && (le == len(src) || src[le] == '\n') {
		if le < len(src) {
			le++
		}
		// A blank line before and after: one of them goes too, as gofmt would have it.
		if repl == "" && (ls == 0 || (ls >= 2 && src[ls-2] == '\n')) && le < len(src) && src[le] == '\n' {
			le++
		}
		if repl != "" {
			indent := string(src[ls:start])
			repl = indent + repl + "\n"
		}
		return TextEdit{File: t.key(n), Start: ls, End: le, New: repl}
	}
	return TextEdit{File: t.key(n), Start: start, End: end, New: repl}
}

// deleteLocal removes the statement declaring a local template; with `t, err := chain` the error
// (always nil: the texts parse) is kept as nil where it is used later, and a following
// `if err != nil {...}` goes too.
func (t *tpkg) deleteLocal(s *Site) ([]TextEdit, string) {
	stmt, ok := s.construct.(ast.Stmt)
	if !ok {
		return nil, "the declaration is not a statement"
	}
	list, i := t.stmtList(stmt)
	if list == nil {
		return nil, "the declaration is not in a block"
	}
	var errObj types.Object
	errNew := false
	if as, ok := stmt.(*ast.AssignStmt); ok && len(as.Lhs) == 2 {
		if id, ok := as.Lhs[1].(*ast.Ident); ok && id.Name != "_" {
			if o := t.info.Defs[id]; o != nil {
				errObj, errNew = o, true
			} else {
				errObj = t.info.Uses[id]
			}
		}
	}
	if ds, ok := stmt.(*ast.DeclStmt); ok {
		vs := ds.Decl.(*ast.GenDecl).Specs[0].(*ast.ValueSpec)
		if len(vs.Names) == 2 && vs.Names[1].Name != "_" {
			errObj, errNew = t.info.Defs[vs.Names[1]], true
		}
	}
	edits := []TextEdit{}
	if errObj == nil {
		return append(edits, t.lineEdit(stmt, stmt.Pos(), stmt.End(), "")), ""
	}
	var check *ast.IfStmt
	if i+1 < len(list) {
		if is, ok := list[i+1].(*ast.IfStmt); ok && is.Init == nil && is.Else == nil && t.isErrCheck(is.Cond, errObj) {
			check = is
		}
	}
	other := 0
	for _, id := range t.uses[errObj] {
		if check != nil && id.Pos() >= check.Pos() && id.Pos() < check.End() {
			continue
		}
		other++
	}
	switch {
	case errNew && other == 0:
		edits = append(edits, t.lineEdit(stmt, stmt.Pos(), stmt.End(), ""))
	case errNew:
		edits = append(edits, t.lineEdit(stmt, stmt.Pos(), stmt.End(), "var "+errObj.Name()+" error"))
	default:
		edits = append(edits, t.lineEdit(stmt, stmt.Pos(), stmt.End(), errObj.Name()+" = nil"))
	}
	if check != nil {
		edits = append(edits, t.lineEdit(check, check.Pos(), check.End(), ""))
	}
	return edits, ""
}

func (t *tpkg) isErrCheck(cond ast.Expr, errObj types.Object) bool {
	b, ok := unparen(cond).(*ast.BinaryExpr)
	if !ok || b.Op != token.NEQ {
		return false
	}
	id, ok := unparen(b.X).(*ast.Ident)
	nilID, ok2 := unparen(b.Y).(*ast.Ident)
	return ok && ok2 && t.info.Uses[id] == errObj && nilID.Name == "nil" && t.info.Uses[nilID] == types.Universe.Lookup("nil")
}

// stmtList is the statement list holding stmt (a block, a case or select clause) and its index.
func (t *tpkg) stmtList(stmt ast.Stmt) ([]ast.Stmt, int) {
	var list []ast.Stmt
	switch p := t.parents[stmt].(type) {
	case *ast.BlockStmt:
		list = p.List
	case *ast.CaseClause:
		list = p.Body
	case *ast.CommClause:
		list = p.Body
	default:
		return nil, -1
	}
	for i, s := range list {
		if s == stmt {
			return list, i
		}
	}
	return nil, -1
}
