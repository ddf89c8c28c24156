package main

// The `decls` subcommand: type-check packages over export data and report, per top-level
// declaration, the exact objects it uses. The format is documented in README.md (version 1).

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/scanner"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
)

// FormatVersion is the version of the JSON answer; it changes only when a field changes meaning.
const FormatVersion = 1

// Request is what `decls` reads.
type Request struct {
	KeyRoot   string            `json:"key_root"`   // declaration keys name files relative to it
	GOARCH    string            `json:"goarch"`     // for sizes (unsafe.Sizeof, array bounds); default: the host's
	MaxErrors int               `json:"max_errors"` // errors listed per package (default 20)
	Packages  []PackageRequest  `json:"packages"`   // the packages to analyse
	Exports   map[string]string `json:"exports"`    // import path -> export data file (go list's Export)
	Compile   []CompileJob      `json:"compile"`    // the `compile` subcommand's texts (tmplcompile.go)
}

// PackageRequest is one package to type-check, as go list reports it for one configuration.
type PackageRequest struct {
	ImportPath string            `json:"import_path"`
	Dir        string            `json:"dir"`
	GoFiles    []string          `json:"go_files"`   // go list's GoFiles (relative to Dir, or absolute)
	CgoFiles   []string          `json:"cgo_files"`  // go list's CgoFiles: checked with `import "C"` faked
	ImportMap  map[string]string `json:"import_map"` // go list's ImportMap: source import path -> import path
	GoVersion  string            `json:"go_version"` // the module's go version ("1.22"); empty: no limit
}

// Response is what `decls` writes.
type Response struct {
	Version   int               `json:"version"`
	Toolchain string            `json:"toolchain"` // runtime.Version() of this program
	Packages  []PackageResponse `json:"packages"`
}

// PackageResponse is the view of one package.
type PackageResponse struct {
	ImportPath  string   `json:"import_path"`
	Name        string   `json:"name"`
	OK          bool     `json:"ok"`            // parsed and type-checked without error
	Errors      []string `json:"errors"`        // the first max_errors errors, "file:line:col: message"
	ErrorCount  int      `json:"error_count"`   // all of them
	FakeImportC bool     `json:"fake_import_c"` // cgo files were checked with `import "C"` faked
	Inits       []string `json:"inits"`         // keys of the init functions, in the order they run
	Decls       []Decl   `json:"decls"`         // every top-level declaration, one per declared name
}

func init() {
	register(command{name: "decls", summary: "type-check packages; what each top-level declaration uses", run: runDecls})
}

func runDecls(args []string, stdin io.Reader, stdout io.Writer) error {
	return serveRequest("decls", args, stdin, stdout, func(req *Request) any { return Analyse(req) })
}

// serveRequest is a subcommand's whole run: flags -in/-out/-indent, the JSON request read and
// validated, the answer written as JSON.
func serveRequest(name string, args []string, stdin io.Reader, stdout io.Writer, answer func(*Request) any) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	in := fs.String("in", "", "read the request from this file (default: stdin)")
	out := fs.String("out", "", "write the answer to this file (default: stdout)")
	indent := fs.Bool("indent", false, "indent the JSON answer")
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("%v (flags: -in FILE, -out FILE, -indent)", err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (flags: -in FILE, -out FILE, -indent)", fs.Arg(0))}
	}
	r := stdin
	if *in != "" {
		f, err := os.Open(*in)
		if err != nil {
			return usageError{err.Error()}
		}
		defer f.Close()
		r = f
	}
	var req Request
	dec := json.NewDecoder(bufio.NewReader(r))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return usageError{fmt.Sprintf("reading the request: %v", err)}
	}
	if err := req.validate(); err != nil {
		return usageError{err.Error()}
	}
	resp := answer(&req)
	w := stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if *indent {
		enc.SetIndent("", " ")
	}
	if err := enc.Encode(resp); err != nil {
		return err
	}
	return bw.Flush()
}

func (r *Request) validate() error {
	seen := map[string]bool{}
	for i, p := range r.Packages {
		if p.ImportPath == "" {
			return fmt.Errorf("packages[%d] has no import_path", i)
		}
		if seen[p.ImportPath] {
			return fmt.Errorf("package %s is listed twice", p.ImportPath)
		}
		seen[p.ImportPath] = true
	}
	if r.MaxErrors <= 0 {
		r.MaxErrors = 20
	}
	if r.GOARCH == "" {
		r.GOARCH = runtime.GOARCH
	}
	if types.SizesFor("gc", r.GOARCH) == nil {
		return fmt.Errorf("unknown goarch %q", r.GOARCH)
	}
	return nil
}

// Analyse type-checks every requested package, one after the other, importing what they import from
// the export data files of the request (one importer, so each dependency is decoded once).
func Analyse(req *Request) *Response {
	enableAliases()
	fset := token.NewFileSet()
	lookup := func(path string) (io.ReadCloser, error) {
		file := req.Exports[path]
		if file == "" {
			return nil, fmt.Errorf("no export data for %s (go list reported none: does it build?)", path)
		}
		return os.Open(file)
	}
	imp := importer.ForCompiler(fset, "gc", lookup).(types.ImporterFrom)
	resp := &Response{Version: FormatVersion, Toolchain: runtime.Version(), Packages: []PackageResponse{}}
	for i := range req.Packages {
		resp.Packages = append(resp.Packages, checkPackage(fset, imp, req, &req.Packages[i]))
	}
	return resp
}

// enableAliases makes go/types report alias types as *types.Alias (the default from Go 1.23, and
// needed for generic aliases), unless GODEBUG says otherwise. This module's go.mod says 1.22 (the
// oldest toolchain that builds it), which would select the old default; Go 1.22's aliases are
// experimental, so it keeps its own default.
func enableAliases() {
	if strings.Contains(os.Getenv("GODEBUG"), "gotypesalias=") || !atLeastGo123(runtime.Version()) {
		return
	}
	v := "gotypesalias=1"
	if old := os.Getenv("GODEBUG"); old != "" {
		v = old + "," + v
	}
	os.Setenv("GODEBUG", v)
}

var releaseRE = regexp.MustCompile(`^go1\.(\d+)`)

func atLeastGo123(v string) bool {
	m := releaseRE.FindStringSubmatch(v)
	if m == nil {
		return true // a development toolchain: newer than any release this was written for
	}
	n := 0
	fmt.Sscan(m[1], &n)
	return n >= 23
}

// mappedImporter resolves a package's source import paths through its ImportMap (vendoring) before
// asking the shared importer, which wants canonical import paths.
type mappedImporter struct {
	imp     types.ImporterFrom
	mapping map[string]string
}

func (m mappedImporter) Import(path string) (*types.Package, error) {
	return m.ImportFrom(path, "", 0)
}

func (m mappedImporter) ImportFrom(path, dir string, mode types.ImportMode) (*types.Package, error) {
	if p, ok := m.mapping[path]; ok {
		path = p
	}
	return m.imp.ImportFrom(path, dir, mode)
}

var goVersionRE = regexp.MustCompile(`^(?:go)?(1\.\d+)`)

func checkPackage(fset *token.FileSet, imp types.ImporterFrom, req *Request, p *PackageRequest) PackageResponse {
	out := PackageResponse{ImportPath: p.ImportPath, Errors: []string{}, Inits: []string{}, Decls: []Decl{}}
	fail := func(msg string) {
		out.ErrorCount++
		if len(out.Errors) < req.MaxErrors {
			out.Errors = append(out.Errors, msg)
		}
	}
	var files []*ast.File
	var names []string
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
			var list scanner.ErrorList
			if errors.As(err, &list) {
				for _, e := range list {
					fail(e.Error())
				}
			} else if err != nil {
				fail(err.Error())
			}
			if f != nil {
				files = append(files, f)
				names = append(names, name)
			}
		}
	}
	if len(files) == 0 {
		if out.ErrorCount == 0 {
			fail(p.ImportPath + ": no Go files to check")
		}
		return out
	}
	out.FakeImportC = len(p.CgoFiles) > 0
	conf := types.Config{
		Importer:    mappedImporter{imp, p.ImportMap},
		Sizes:       types.SizesFor("gc", req.GOARCH),
		FakeImportC: out.FakeImportC,
		Error:       func(err error) { fail(err.Error()) },
	}
	if m := goVersionRE.FindStringSubmatch(p.GoVersion); m != nil {
		conf.GoVersion = "go" + m[1]
	}
	info := &types.Info{
		Types:      map[ast.Expr]types.TypeAndValue{},
		Defs:       map[*ast.Ident]types.Object{},
		Uses:       map[*ast.Ident]types.Object{},
		Selections: map[*ast.SelectorExpr]*types.Selection{},
		Instances:  map[*ast.Ident]types.Instance{},
	}
	pkg, _ := conf.Check(p.ImportPath, fset, files, info)
	if pkg != nil {
		out.Name = pkg.Name()
	} else {
		out.Name = files[0].Name.Name
	}
	out.OK = out.ErrorCount == 0
	a := &analysis{fset: fset, pkg: pkg, info: info, conv: map[convKey][]Impl{}}
	for i, f := range files {
		decls := a.fileDecls(f, keyPath(req.KeyRoot, names[i]))
		for _, d := range decls {
			if d.Kind == "init" {
				out.Inits = append(out.Inits, d.Key)
			}
		}
		out.Decls = append(out.Decls, decls...)
	}
	return out
}

// keyPath names a file in declaration keys as gotrim's source model does: relative to the root with
// forward slashes, or absolute when outside it.
func keyPath(root, file string) string {
	if root != "" {
		if abs, err := filepath.Abs(root); err == nil {
			root = abs
		}
		if rel, err := filepath.Rel(root, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return filepath.ToSlash(rel)
		}
	}
	return file
}
