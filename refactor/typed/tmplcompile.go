package main

// The `compile` subcommand: template texts the caller names (a package-level string variable of a
// requested package, executed with a data type the caller names), compiled to Go by tmplgen. It
// serves dependency patches (refactor/tmpldep.py): a library whose help is a template run on a text
// and a value passed as interface{} gets its default texts compiled, one function per (text, data
// type), in the library's own package. The format is documented in README.md ("compile").

import (
	"errors"
	"fmt"
	"go/token"
	"go/types"
	"io"
	"runtime"
	"sort"
	"strings"

	"gotrim/typed/tmplgen"
)

// CompileVersion is the version of the `compile` answer.
const CompileVersion = 1

// CompileJob is one text to compile: Request.Compile.
type CompileJob struct {
	Package string            `json:"package"` // import path of a requested package
	Var     string            `json:"var"`     // its package-level string variable holding the text
	Name    string            `json:"name"`    // the name the library gives the template (template.New)
	Data    string            `json:"data"`    // the data's type, a type expression in the package's scope
	Funcs   map[string]string `json:"funcs"`   // template function -> "importpath.Name" or the package's "Name"
	// FuncTypes: for a template function listed here, Funcs holds a Go expression of this function type,
	// valid in a new file of the package (a closure the library builds per call, read from a
	// package-level variable the patch sets), called as written.
	FuncTypes map[string]string `json:"func_types"`
	FuncName  string            `json:"func_name"` // the generated entry's name (made free in the package)
}

// CompileResponse is what `compile` writes: one result per job, in order.
type CompileResponse struct {
	Version   int             `json:"version"`
	Toolchain string          `json:"toolchain"`
	Results   []CompileResult `json:"results"`
}

// CompileResult is the generated Go of one job, or why there is none.
type CompileResult struct {
	Package   string       `json:"package"`
	Var       string       `json:"var"`
	Data      string       `json:"data"`
	Text      string       `json:"text"` // the variable's value as declared
	File      string       `json:"file"` // where the variable is declared (key_root-relative)
	Line      int          `json:"line"`
	Generated *Generated   `json:"generated"`
	Refusal   string       `json:"refusal"` // "" when generated
	Methods   []MethodCall `json:"methods"` // actions that call methods (direct calls in the generated code)
}

func init() {
	register(command{name: "compile", summary: "named template texts of a package compiled to Go (dependency patches)", run: runCompile})
}

func runCompile(args []string, stdin io.Reader, stdout io.Writer) error {
	return serveRequest("compile", args, stdin, stdout, func(req *Request) any { return AnalyseCompile(req) })
}

// AnalyseCompile compiles every job of the request; each package is type-checked once.
func AnalyseCompile(req *Request) *CompileResponse {
	enableAliases()
	fset := token.NewFileSet()
	imp := exportImporter(fset, req)
	resp := &CompileResponse{Version: CompileVersion, Toolchain: runtime.Version(), Results: []CompileResult{}}
	checked := map[string]*tpkg{}
	why := map[string]string{}
	for _, job := range req.Compile {
		res := CompileResult{Package: job.Package, Var: job.Var, Data: job.Data, Methods: []MethodCall{}}
		t, seen := checked[job.Package]
		if !seen {
			t, why[job.Package] = checkForCompile(fset, imp, req, job.Package)
			checked[job.Package] = t
		}
		if t == nil {
			res.Refusal = why[job.Package]
		} else {
			t.compile(job, &res)
		}
		resp.Results = append(resp.Results, res)
	}
	return resp
}

func checkForCompile(fset *token.FileSet, imp types.ImporterFrom, req *Request, path string) (*tpkg, string) {
	for i := range req.Packages {
		p := &req.Packages[i]
		if p.ImportPath != path {
			continue
		}
		var out TemplatePackage
		t := checkTpkg(fset, imp, req, p, &out)
		if t == nil || !out.OK {
			return nil, fmt.Sprintf("package %s does not type-check: %s", path, strings.Join(out.Errors, "; "))
		}
		return t, ""
	}
	return nil, fmt.Sprintf("package %s is not in the request", path)
}

// compile resolves one job's text, data type and functions, and runs tmplgen.
func (t *tpkg) compile(job CompileJob, res *CompileResult) {
	obj, ok := t.pkg.Scope().Lookup(job.Var).(*types.Var)
	vs := t.specs[obj]
	if !ok || vs == nil {
		res.Refusal = fmt.Sprintf("%s has no package-level variable %s", job.Package, job.Var)
		return
	}
	res.File, res.Line = t.key(vs.spec), t.line(vs.spec)
	if len(vs.spec.Values) != len(vs.spec.Names) {
		res.Refusal = fmt.Sprintf("%s is not declared with its own value", job.Var)
		return
	}
	text, ok := t.constString(vs.spec.Values[vs.index])
	if !ok {
		res.Refusal = fmt.Sprintf("%s is not declared with a constant string", job.Var)
		return
	}
	res.Text = text
	tv, err := types.Eval(t.fset, t.pkg, token.NoPos, job.Data)
	if err != nil || !tv.IsType() {
		res.Refusal = fmt.Sprintf("%s is not a type in %s", job.Data, job.Package)
		return
	}
	funcs := map[string]tmplgen.Func{}
	names := make([]string, 0, len(job.Funcs))
	for name := range job.Funcs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		f, why := t.namedFunc(job.Funcs[name])
		if typ, ok := job.FuncTypes[name]; ok {
			f, why = t.exprFunc(job.Funcs[name], typ)
		}
		if why != "" {
			res.Refusal = fmt.Sprintf("template function %s: %s", name, why)
			return
		}
		funcs[name] = f
	}
	req := tmplgen.Request{Texts: []tmplgen.Text{{Name: job.Name, Text: text}}, Root: job.Name, Funcs: funcs,
		Data: tv.Type, Pkg: t.pkg}
	if calls, _, err := tmplgen.Methods(req); err == nil {
		for _, c := range calls {
			res.Methods = append(res.Methods, MethodCall{Template: c.Template, Pos: c.Pos, Action: c.Action, Name: c.Name, Types: c.Types})
		}
	}
	req.FuncName = t.freeName(job.FuncName)
	out, err := tmplgen.Generate(req)
	var rf *tmplgen.Refusal
	switch {
	case errors.As(err, &rf):
		res.Refusal = rf.Error()
	case err != nil:
		res.Refusal = err.Error()
	default:
		res.Generated = &Generated{Decls: string(out.Decls), Imports: []Import{}, Names: out.Names}
		for _, im := range out.Imports {
			res.Generated.Imports = append(res.Generated.Imports, Import{Path: im.Path, Name: im.Name})
		}
		for _, n := range out.Names {
			t.taken[n] = true
		}
	}
}

// namedFunc is the function "importpath.Name" (an import of the package) or "Name" (the package's own).
func (t *tpkg) namedFunc(spec string) (tmplgen.Func, string) {
	path, name := "", spec
	if i := strings.LastIndex(spec, "."); i > strings.LastIndex(spec, "/") {
		path, name = spec[:i], spec[i+1:]
	}
	scope := t.pkg.Scope()
	if path != "" {
		scope = nil
		for _, im := range t.pkg.Imports() {
			if im.Path() == path {
				scope = im.Scope()
			}
		}
		if scope == nil {
			return tmplgen.Func{}, fmt.Sprintf("%s does not import %s", t.pkg.Path(), path)
		}
	}
	fn, ok := scope.Lookup(name).(*types.Func)
	if !ok || (path != "" && !fn.Exported()) {
		return tmplgen.Func{}, fmt.Sprintf("%s is not a function", spec)
	}
	return tmplgen.Func{Pkg: path, Name: name, Sig: fn.Type().(*types.Signature)}, ""
}

// exprFunc is a function given as an expression of a function type written in the package's scope.
func (t *tpkg) exprFunc(expr, typ string) (tmplgen.Func, string) {
	tv, err := types.Eval(t.fset, t.pkg, token.NoPos, typ)
	if err != nil || !tv.IsType() {
		return tmplgen.Func{}, fmt.Sprintf("%s is not a type in %s", typ, t.pkg.Path())
	}
	sig, ok := tv.Type.Underlying().(*types.Signature)
	if !ok {
		return tmplgen.Func{}, fmt.Sprintf("%s is not a function type", typ)
	}
	return tmplgen.Func{Expr: expr, Sig: sig}, ""
}
