package tmplgen

import (
	"bytes"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// module is the type-checked test module.
type module struct {
	pkg *types.Package
}

func loadModule(t testing.TB) *module {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "types.go", moduleSrc, 0)
	if err != nil {
		t.Fatal(err)
	}
	conf := types.Config{}
	pkg, err := conf.Check("tmplgentest", fset, []*ast.File{f}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &module{pkg: pkg}
}

// typeOf resolves a type expression of the module ("*Page", "[]Item", "any", "map[string]int").
func (m *module) typeOf(t testing.TB, expr string) types.Type {
	t.Helper()
	tv, err := types.Eval(token.NewFileSet(), m.pkg, token.NoPos, expr)
	if err != nil || !tv.IsType() {
		t.Fatalf("type %q: %v", expr, err)
	}
	return tv.Type
}

func (m *module) funcs(t testing.TB, names map[string]string) map[string]Func {
	out := map[string]Func{}
	for tname, goName := range names {
		if obj := m.pkg.Scope().Lookup(goName); obj != nil {
			out[tname] = Func{Name: goName, Sig: obj.Type().(*types.Signature)}
			continue
		}
		// An expression (a method value, a variable of function type).
		tv, err := types.Eval(token.NewFileSet(), m.pkg, token.NoPos, goName)
		if err != nil {
			t.Fatalf("func %s: %v", goName, err)
		}
		out[tname] = Func{Expr: goName, Sig: tv.Type.Underlying().(*types.Signature)}
	}
	return out
}

// tcase is one template compiled and checked against the real library.
type tcase struct {
	name       string
	data       string // type expression
	texts      []Text
	root       string
	entry      string
	html       bool
	funcs      map[string]string // template name -> module function
	missingKey string
	delims     [2]string
	values     []string // extra data values (Go expressions)
	random     int      // random values besides the zero value (default 6)
	refuse     string   // the expected refusal (substring); the case is then not run
	since      int      // the Go minor version whose template syntax the case needs
	refuseUpTo int      // the case is refused (as `refuse` says) up to this Go minor version
}

// valueGen writes random Go expressions of a type.
type valueGen struct {
	m   *module
	rng *rand.Rand
}

var stringPool = []string{
	"", "a", "hello world", "<b>bold</b> & 'q' \"dq\"", "日本語", "emoji 😀", "%d %s %% %!", "a+b=c",
	"nul\x00byte", "tab\tnl\n", "javascript:alert(1)", "\xff\xfe invalid", "\ufdd0 nonchar", "x=1&y=2 z",
	"`tick`", "ZgotmplZ", "-->", "<!-- c -->", "Ünïcödé", "  spaced  ",
}

func (g *valueGen) str() string { return strconv.Quote(stringPool[g.rng.Intn(len(stringPool))]) }

func (g *valueGen) expr(t types.Type, depth int) string {
	qual := func(p *types.Package) string { return "" }
	name := types.TypeString(t, qual)
	switch u := t.Underlying().(type) {
	case *types.Basic:
		var lit string
		switch {
		case u.Kind() == types.Bool:
			lit = strconv.FormatBool(g.rng.Intn(2) == 0)
		case u.Kind() == types.String:
			lit = g.str()
		case u.Info()&types.IsUnsigned != 0:
			choices := []string{"0", "1", "2", "7", "42", "255"}
			if u.Kind() != types.Uint8 {
				choices = append(choices, "1000", "65535")
			}
			if u.Kind() == types.Uint64 || u.Kind() == types.Uint {
				choices = append(choices, "1<<40")
			}
			lit = choices[g.rng.Intn(len(choices))]
		case u.Info()&types.IsInteger != 0:
			choices := []string{"0", "1", "-1", "2", "3", "4", "13", "42", "-7", "100"}
			if u.Kind() != types.Int8 {
				choices = append(choices, "1000", "-30000")
			}
			if u.Kind() == types.Int64 || u.Kind() == types.Int {
				choices = append(choices, "1<<40")
			}
			lit = choices[g.rng.Intn(len(choices))]
		case u.Info()&types.IsFloat != 0:
			choices := []string{"0", "1.5", "-2.25", "1e21", "1e-7", "3", "0.1", "nan()", "inf()", "-0.5"}
			lit = choices[g.rng.Intn(len(choices))]
		case u.Info()&types.IsComplex != 0:
			lit = []string{"0", "complex(1, 2)", "complex(-1.5, 0)"}[g.rng.Intn(3)]
		default:
			panic("basic " + u.String())
		}
		if _, named := t.(*types.Named); named || u.Kind() != types.Int && u.Kind() != types.String && u.Kind() != types.Bool {
			return name + "(" + lit + ")"
		}
		return lit
	case *types.Pointer:
		if depth > 3 || g.rng.Intn(4) == 0 {
			return "(" + name + ")(nil)"
		}
		return "ptrTo(" + g.expr(u.Elem(), depth+1) + ")"
	case *types.Slice:
		switch r := g.rng.Intn(5); {
		case depth > 3 || r == 0:
			return name + "(nil)"
		case r == 1:
			return name + "{}"
		}
		n := 1 + g.rng.Intn(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = g.expr(u.Elem(), depth+1)
		}
		return name + "{" + strings.Join(parts, ", ") + "}"
	case *types.Array:
		parts := make([]string, u.Len())
		for i := range parts {
			parts[i] = g.expr(u.Elem(), depth+1)
		}
		return name + "{" + strings.Join(parts, ", ") + "}"
	case *types.Map:
		switch r := g.rng.Intn(5); {
		case depth > 3 || r == 0:
			return name + "(nil)"
		case r == 1:
			return name + "{}"
		}
		n := 1 + g.rng.Intn(4)
		seen := map[string]bool{}
		var parts []string
		for i := 0; i < n*3 && len(parts) < n; i++ {
			k := g.expr(u.Key(), depth+1)
			if seen[k] || strings.Contains(k, "nan()") {
				continue
			}
			seen[k] = true
			parts = append(parts, k+": "+g.expr(u.Elem(), depth+1))
		}
		return name + "{" + strings.Join(parts, ", ") + "}"
	case *types.Struct:
		var parts []string
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if g.rng.Intn(5) == 0 {
				continue
			}
			parts = append(parts, f.Name()+": "+g.expr(f.Type(), depth+1))
		}
		return name + "{" + strings.Join(parts, ", ") + "}"
	case *types.Interface:
		if g.rng.Intn(3) == 0 {
			return "(" + name + ")(nil)"
		}
		var cands []string
		if u.Empty() {
			cands = []string{`"str"`, "42", "1.5", "true", "Level(1)", "&Inner{X: 3, S: \"in\"}", "[]int{1, 2}",
				"map[string]int{\"k\": 1}", "Money(1234)", "(*Inner)(nil)", "Item{Name: \"it\"}", `Name("nm")`}
		}
		for _, n := range g.m.pkg.Scope().Names() {
			obj, ok := g.m.pkg.Scope().Lookup(n).(*types.TypeName)
			if !ok || isInterface(obj.Type()) || u.Empty() {
				continue
			}
			if types.Implements(obj.Type(), u) {
				cands = append(cands, g.expr(obj.Type(), depth+1))
			} else if types.Implements(types.NewPointer(obj.Type()), u) {
				cands = append(cands, "ptrTo("+g.expr(obj.Type(), depth+1)+")")
			}
		}
		if len(cands) == 0 {
			return "(" + name + ")(nil)"
		}
		return cands[g.rng.Intn(len(cands))]
	case *types.Signature:
		if g.rng.Intn(3) == 0 {
			return "(" + name + ")(nil)"
		}
		for _, n := range g.m.pkg.Scope().Names() {
			if fobj, ok := g.m.pkg.Scope().Lookup(n).(*types.Func); ok && types.Identical(fobj.Type(), t) {
				return n
			}
		}
		return "(" + name + ")(nil)"
	case *types.Chan:
		return "(" + name + ")(nil)"
	}
	panic("no value for " + name)
}

// harness builds one program from many cases.
type harness struct {
	m      *module
	dir    string
	cases  []*tcase
	files  map[string][]byte
	runner bytes.Buffer
	nvals  int
}

const driverSrc = `package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io"
	"os"
	"text/template"
)

func ptrTo[T any](v T) *T { return &v }

type outcome struct {
	Case, Data, Real, Gen, RealErr, GenErr string
}

type tset struct {
	html              bool
	root, entry, l, r string
	missingKey        string
	texts             [][2]string
	funcs             map[string]any
}

func (s tset) execute(w io.Writer, data any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	if s.html {
		t := htmltemplate.New(s.root).Delims(s.l, s.r).Funcs(s.funcs)
		if s.missingKey != "" {
			t.Option("missingkey=" + s.missingKey)
		}
		for _, tx := range s.texts {
			tt := t
			if tx[0] != t.Name() {
				tt = t.New(tx[0])
			}
			if _, err := tt.Parse(tx[1]); err != nil {
				return fmt.Errorf("PARSE: %v", err)
			}
		}
		return t.ExecuteTemplate(w, s.entry, data)
	}
	t := template.New(s.root).Delims(s.l, s.r).Funcs(s.funcs)
	if s.missingKey != "" {
		t.Option("missingkey=" + s.missingKey)
	}
	for _, tx := range s.texts {
		tt := t
		if tx[0] != t.Name() {
			tt = t.New(tx[0])
		}
		if _, err := tt.Parse(tx[1]); err != nil {
			return fmt.Errorf("PARSE: %v", err)
		}
	}
	return t.ExecuteTemplate(w, s.entry, data)
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return "ERR: " + err.Error()
}

func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("PANIC: %v", r)
		}
	}()
	return f()
}

func check(out *[]outcome, name, data string, s tset, v any, gen func(io.Writer) error) {
	var a, b bytes.Buffer
	ea := s.execute(&a, v)
	eb := protect(func() error { return gen(&b) })
	o := outcome{Case: name, Data: data, Real: a.String(), Gen: b.String(), RealErr: errString(ea), GenErr: errString(eb)}
	*out = append(*out, o)
}

func main() {
	var out []outcome
	runAll(&out)
	enc := json.NewEncoder(os.Stdout)
	for _, o := range out {
		if err := enc.Encode(o); err != nil {
			panic(err)
		}
	}
}
`

func newHarness(t testing.TB, m *module) *harness {
	return &harness{m: m, dir: t.TempDir(), files: map[string][]byte{}}
}

// add generates the code of one case; it returns the refusal, if any.
func (h *harness) add(t testing.TB, c *tcase) error {
	t.Helper()
	i := len(h.cases)
	h.cases = append(h.cases, c)
	req := Request{
		Texts: c.texts, Root: c.root, Entry: c.entry, HTML: c.html, MissingKey: c.missingKey,
		LeftDelim: c.delims[0], RightDelim: c.delims[1], Data: h.m.typeOf(t, c.data), Pkg: h.m.pkg,
		FuncName: fmt.Sprintf("render%d", i), Funcs: h.m.funcs(t, c.funcs),
	}
	res, err := Generate(req)
	if err != nil {
		return err
	}
	file, err := res.File("main")
	if err != nil {
		t.Fatalf("%s: %v", c.name, err)
	}
	if again, err := format.Source(file); err != nil || !bytes.Equal(again, file) {
		t.Errorf("%s: generated file is not gofmt-clean", c.name)
	}
	h.files[fmt.Sprintf("gen%03d.go", i)] = file
	// The driver of the case.
	root := req.Root
	if root == "" {
		root = c.texts[0].Name
	}
	entry := req.Entry
	if entry == "" {
		entry = root
	}
	var texts []string
	for _, tx := range c.texts {
		texts = append(texts, fmt.Sprintf("{%q, %q}", tx.Name, tx.Text))
	}
	var fm []string
	names := make([]string, 0, len(c.funcs))
	for k := range c.funcs {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fm = append(fm, fmt.Sprintf("%q: %s", k, c.funcs[k]))
	}
	w := &h.runner
	fmt.Fprintf(w, "func case%d(out *[]outcome) {\n", i)
	fmt.Fprintf(w, "s := tset{html: %v, root: %q, entry: %q, l: %q, r: %q, missingKey: %q, texts: [][2]string{%s}, funcs: map[string]any{%s}}\n",
		c.html, root, entry, c.delims[0], c.delims[1], c.missingKey, strings.Join(texts, ", "), strings.Join(fm, ", "))
	vg := &valueGen{m: h.m, rng: rand.New(rand.NewSource(int64(i)*7919 + 1))}
	vals := []string{"*new(" + c.data + ")"}
	vals = append(vals, c.values...)
	n := c.random
	if n == 0 {
		n = 6
		// TMPLGEN_RANDOM=N runs N random values per case (a deeper local check).
		if v, err := strconv.Atoi(os.Getenv("TMPLGEN_RANDOM")); err == nil && v > 0 {
			n = v
		}
	}
	if n < 0 {
		n = 0
	}
	for k := 0; k < n; k++ {
		vals = append(vals, vg.expr(h.m.typeOf(t, c.data), 0))
	}
	for _, v := range vals {
		h.nvals++
		fmt.Fprintf(w, "{\nmk := func() %s { return %s(%s) }\ncheck(out, %q, %q, s, mk(), func(w io.Writer) error { return render%d(w, mk()) })\n}\n", c.data, "("+c.data+")", v, c.name, v, i)
	}
	fmt.Fprintf(w, "}\n\n")
	return nil
}

// run builds, vets and runs the program; it returns the outcomes.
func (h *harness) run(t testing.TB) []outcomeT {
	t.Helper()
	var all bytes.Buffer
	all.WriteString("package main\n\nimport \"io\"\n\nvar _ io.Writer\n\nfunc runAll(out *[]outcome) {\n")
	for i := range h.cases {
		if _, ok := h.files[fmt.Sprintf("gen%03d.go", i)]; ok {
			fmt.Fprintf(&all, "case%d(out)\n", i)
		}
	}
	all.WriteString("}\n\n")
	all.Write(h.runner.Bytes())
	src, err := format.Source(all.Bytes())
	if err != nil {
		t.Fatalf("runner: %v\n%s", err, all.String())
	}
	h.files["runner.go"] = src
	h.files["types.go"] = []byte(moduleSrc)
	h.files["driver.go"] = []byte(driverSrc)
	h.files["go.mod"] = []byte("module tmplgentest\n\ngo 1.22\n")
	for name, data := range h.files {
		if err := os.WriteFile(filepath.Join(h.dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The program is built by the toolchain running the test (whose text/template the generator
	// reproduces): under GOTOOLCHAIN=go1.23.12 go test, that is Go 1.23.12, already downloaded.
	toolchain := "local"
	if v := runtime.Version(); strings.HasPrefix(v, "go1.") {
		toolchain = v
	}
	env := append(os.Environ(), "GOFLAGS=", "GOTOOLCHAIN="+toolchain, "GOWORK=off", "GO111MODULE=on")
	goCmd := func(args ...string) []byte {
		cmd := exec.Command("go", args...)
		cmd.Dir = h.dir
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	goCmd("build", "-o", "prog", ".")
	goCmd("vet", ".")
	cmd := exec.Command(filepath.Join(h.dir, "prog"))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("program: %v", err)
	}
	var res []outcomeT
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var o outcomeT
		if err := dec.Decode(&o); err != nil {
			t.Fatal(err)
		}
		res = append(res, o)
	}
	return res
}

type outcomeT struct {
	Case, Data, Real, Gen, RealErr, GenErr string
}
