package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// load writes files into a module example.com/m, lists it with `go list -e -export -deps` (as gotrim
// does) and analyses every package of the module.
func load(t *testing.T, files map[string]string) *Response {
	t.Helper()
	return Analyse(listRequest(t, files))
}

// listRequest writes files into a module example.com/m and lists it: the request for every package of
// the module.
func listRequest(t *testing.T, files map[string]string) *Request {
	t.Helper()
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	dir := t.TempDir()
	files["go.mod"] = "module example.com/m\n\ngo 1.22\n"
	for name, src := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(goCmd, "list", "-e", "-export", "-deps",
		"-json=ImportPath,Dir,GoFiles,CgoFiles,ImportMap,Export,Module", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=", "GOWORK=off", "GOTOOLCHAIN=local", "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	req := &Request{KeyRoot: dir, Exports: map[string]string{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			ImportPath, Dir, Export string
			GoFiles, CgoFiles       []string
			ImportMap               map[string]string
			Module                  *struct{ Main bool }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Export != "" {
			req.Exports[p.ImportPath] = p.Export
		}
		if p.Module != nil && p.Module.Main {
			req.Packages = append(req.Packages, PackageRequest{ImportPath: p.ImportPath, Dir: p.Dir,
				GoFiles: p.GoFiles, CgoFiles: p.CgoFiles, ImportMap: p.ImportMap, GoVersion: "1.22"})
		}
	}
	if err := req.validate(); err != nil {
		t.Fatal(err)
	}
	return req
}

func pkgOf(t *testing.T, r *Response, path string) *PackageResponse {
	t.Helper()
	for i := range r.Packages {
		if r.Packages[i].ImportPath == path {
			return &r.Packages[i]
		}
	}
	t.Fatalf("no package %s in the answer", path)
	return nil
}

func declOf(t *testing.T, p *PackageResponse, key string) *Decl {
	t.Helper()
	for i := range p.Decls {
		if p.Decls[i].Key == key {
			return &p.Decls[i]
		}
	}
	var keys []string
	for _, d := range p.Decls {
		keys = append(keys, d.Key)
	}
	t.Fatalf("no declaration %q in %s (have %v)", key, p.ImportPath, keys)
	return nil
}

func mustOK(t *testing.T, p *PackageResponse) {
	t.Helper()
	if !p.OK {
		t.Fatalf("%s did not type-check: %v", p.ImportPath, p.Errors)
	}
}

const m = "example.com/m/p"

func ref(name string) *TypeRef { return &TypeRef{Pkg: m, Name: name} }

func TestKeysOffsetsAndKinds(t *testing.T) {
	src := `package p

import "fmt"

func init() {}

// Box is generic.
type Box[T any] struct{ v T }

func (b *Box[T]) Get() T { return b.v }

func (Box[T]) _() {}

var _ = fmt.Sprint

var (
	a, _ = 1, 2
	_    int
)

type Alias = Box[int]

const (
	X = iota
	Y
)

func init() { fmt.Println() }
`
	r := load(t, map[string]string{"p/p.go": src})
	p := pkgOf(t, r, m)
	mustOK(t, p)
	var got []string
	for _, d := range p.Decls {
		got = append(got, d.Key+" "+d.Kind+" "+d.Receiver)
		if d.File != "p/p.go" {
			t.Errorf("%s: file %q", d.Key, d.File)
		}
		if name := src[d.NameStart:d.NameEnd]; name != d.Name {
			t.Errorf("%s: name offsets give %q", d.Key, name)
		}
		if d.Start > d.NameStart || d.End < d.NameEnd {
			t.Errorf("%s: declaration %d-%d does not hold its name %d-%d", d.Key, d.Start, d.End, d.NameStart, d.NameEnd)
		}
	}
	want := []string{"init#p/p.go#0 init ", "Box type ", "Box.Get method Box", "_#p/p.go#0 method Box",
		"_#p/p.go#1 var ", "a var ", "_#p/p.go#2 var ", "_#p/p.go#3 var ", "Alias alias ", "X const ",
		"Y const ", "init#p/p.go#1 init "}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("decls:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(p.Inits, []string{"init#p/p.go#0", "init#p/p.go#1"}) {
		t.Errorf("inits %v", p.Inits)
	}
	if g := declOf(t, p, "Box.Get"); !g.PointerReceiver || !strings.HasPrefix(src[g.Start:g.End], "func (b *Box[T]) Get()") {
		t.Errorf("Box.Get: pointer %v, text %q", g.PointerReceiver, src[g.Start:g.End])
	}
	if g := declOf(t, p, "Box.Get"); !reflect.DeepEqual(g.Fields, []FieldUse{{Type: ref("Box"), Field: "v"}}) {
		t.Errorf("Box.Get fields %+v", g.Fields)
	}
	if u := declOf(t, p, "Alias").Uses; !reflect.DeepEqual(u, []Object{{m, "Box", "type"}}) {
		t.Errorf("Alias uses %+v", u)
	}
}

func TestSameUnexportedFieldNamesResolveToTheirTypes(t *testing.T) {
	r := load(t, map[string]string{"p/p.go": `package p

type Light struct{ name string }
type Heavy struct{ name string }

func LightName(l *Light) string { return l.name }
func HeavyName(h Heavy) string  { return h.name }
`})
	p := pkgOf(t, r, m)
	mustOK(t, p)
	if f := declOf(t, p, "LightName").Fields; !reflect.DeepEqual(f, []FieldUse{{Type: ref("Light"), Field: "name"}}) {
		t.Errorf("LightName fields %+v", f)
	}
	if f := declOf(t, p, "HeavyName").Fields; !reflect.DeepEqual(f, []FieldUse{{Type: ref("Heavy"), Field: "name"}}) {
		t.Errorf("HeavyName fields %+v", f)
	}
}

func TestEmbeddedPromotionAndInterfaceMethods(t *testing.T) {
	r := load(t, map[string]string{"p/p.go": `package p

import "io"

type base struct{ id int }

func (b *base) ID() int { return b.id }

type Outer struct {
	*base
	io.ReadWriter
}

func Use(o Outer, buf []byte) int {
	f := o.ID
	n, _ := o.Read(buf)
	return o.id + f() + n
}

func Expr() func(*base) int { return (*base).ID }
`})
	p := pkgOf(t, r, m)
	mustOK(t, p)
	d := declOf(t, p, "Use")
	via := []Step{{Type: ref("Outer"), Field: "base"}}
	if !reflect.DeepEqual(d.Fields, []FieldUse{{Type: ref("base"), Field: "id", Path: via}}) {
		t.Errorf("fields %+v", d.Fields)
	}
	want := []MethodUse{
		{Type: ref("base"), Method: "ID", Pointer: true, Mode: "value", Path: via},
		{Type: &TypeRef{Pkg: "io", Name: "Reader"}, Method: "Read", Interface: true, Mode: "call",
			Path: []Step{{Type: ref("Outer"), Field: "ReadWriter"}}},
	}
	if !sameMethods(d.Methods, want) {
		t.Errorf("methods %+v", d.Methods)
	}
	e := declOf(t, p, "Expr")
	if !sameMethods(e.Methods, []MethodUse{{Type: ref("base"), Method: "ID", Pointer: true, Mode: "expr"}}) {
		t.Errorf("Expr methods %+v", e.Methods)
	}
}

func sameMethods(got, want []MethodUse) bool {
	if len(got) != len(want) {
		return false
	}
	seen := map[string]bool{}
	for _, m := range got {
		seen[key(m)] = true
	}
	for _, m := range want {
		if !seen[key(m)] {
			return false
		}
	}
	return true
}

func TestConversionsToInterfaces(t *testing.T) {
	r := load(t, map[string]string{"p/p.go": `package p

import (
	"fmt"
	"io"
)

type W struct{}

func (W) Write(p []byte) (int, error) { return len(p), nil }

type Named struct{ W }

type S string

func (s S) String() string { return string(s) }

type holder struct{ out io.Writer }

func pair() (W, error) { return W{}, nil }

func Show[T fmt.Stringer](x T) string { return x.String() }

func All(ch chan io.Writer, m map[fmt.Stringer]int) (io.Writer, error) {
	var w io.Writer
	w = &Named{}
	w, _ = pair()
	fmt.Println(S("x"))
	_ = holder{out: W{}}
	_ = []io.Writer{W{}}
	ch <- W{}
	m[S("k")]++
	_ = io.Writer(W{})
	_ = Show(S("y"))
	return w, nil
}

func Ret() io.Writer { return Named{} }
`})
	p := pkgOf(t, r, m)
	mustOK(t, p)
	type conv struct {
		from    string
		pointer bool
		to      string
	}
	got := map[conv][]Impl{}
	for _, c := range declOf(t, p, "All").Conversions {
		got[conv{c.From.Name, c.Pointer, c.ToText}] = c.Methods
	}
	writeW := []Impl{{Method: "Write", Type: ref("W")}}
	promoted := []Impl{{Method: "Write", Type: ref("W"), Path: []Step{{Type: ref("Named"), Field: "W"}}}}
	stringS := []Impl{{Method: "String", Type: ref("S")}}
	want := map[conv][]Impl{
		{"Named", true, "io.Writer"}: promoted,
		{"W", false, "io.Writer"}:    writeW,
		{"S", false, "any"}:          {},
		{"S", false, "fmt.Stringer"}: stringS,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("conversions:\n got %+v\nwant %+v", got, want)
	}
	ret := declOf(t, p, "Ret").Conversions
	if len(ret) != 1 || ret[0].From.Name != "Named" || ret[0].Pointer || !reflect.DeepEqual(ret[0].Methods, promoted) {
		t.Errorf("Ret conversions %+v", ret)
	}
	show := declOf(t, p, "Show")
	if !sameMethods(show.Methods, []MethodUse{{Type: &TypeRef{Pkg: "fmt", Name: "Stringer"}, Method: "String",
		Interface: true, Mode: "call"}}) {
		t.Errorf("Show methods %+v", show.Methods)
	}
}

func TestStructLiterals(t *testing.T) {
	r := load(t, map[string]string{
		"q/q.go": `package q

type T struct {
	ID   int
	name string
}
`,
		"p/p.go": `package p

import "example.com/m/q"

type inner struct{ n int }

type Rec struct {
	inner
	Label string
	id    int
}

var Keyed = Rec{Label: "a", id: 1}
var Positional = Rec{inner{1}, "b", 2}
var Zero = q.T{}
var Elided = []*Rec{{Label: "c"}}
var Other = q.T{ID: 1}
`})
	p := pkgOf(t, r, m)
	mustOK(t, p)
	lits := func(key string) []Literal { return declOf(t, p, key).Literals }
	if l := lits("Keyed"); !reflect.DeepEqual(l, []Literal{{Type: *ref("Rec"), Keyed: true,
		Fields: []string{"Label", "id"}, Unexported: []string{"id"}}}) {
		t.Errorf("Keyed %+v", l)
	}
	byType := map[string]Literal{}
	for _, l := range lits("Positional") {
		byType[l.Type.Name] = l
	}
	if l := byType["Rec"]; len(byType) != 2 || l.Keyed || !reflect.DeepEqual(l.Unexported, []string{"inner", "id"}) ||
		!reflect.DeepEqual(byType["inner"].Unexported, []string{"n"}) {
		t.Errorf("Positional %+v", byType)
	}
	q := TypeRef{Pkg: "example.com/m/q", Name: "T"}
	if l := lits("Zero"); !reflect.DeepEqual(l, []Literal{{Type: q, Fields: []string{}, Unexported: []string{}}}) {
		t.Errorf("Zero %+v", l)
	}
	if l := lits("Elided"); len(l) != 1 || l[0].Type.Name != "Rec" || !l[0].Keyed {
		t.Errorf("Elided %+v", l)
	}
	if l := lits("Other"); !reflect.DeepEqual(l, []Literal{{Type: q, Keyed: true, Fields: []string{"ID"}, Unexported: []string{}}}) {
		t.Errorf("Other %+v", l)
	}
}

func TestStartupCalls(t *testing.T) {
	r := load(t, map[string]string{"p/p.go": `package p

import (
	"fmt"
	"sort"
	"strings"
)

type Command struct {
	Name   string
	Action func() error
}

var table = Command{Name: "x", Action: func() error { fmt.Println("run"); return nil }}
var handlers = map[string]func(){"a": func() { fmt.Println() }}
var upper = strings.ToUpper("x")
var size = len("abc") + cap(make([]int, 2))
var conv = []byte("x")
var once = func() int { return len(fmt.Sprint(1)) }()
var method = strings.NewReplacer("a", "b").Replace("a")

func init() {
	sort.Slice([]int{}, func(i, j int) bool { return strings.HasPrefix("a", "b") })
	handlers["b"] = func() { panic("never at startup") }
}
`})
	p := pkgOf(t, r, m)
	mustOK(t, p)
	for key, want := range map[string]bool{"table": false, "handlers": false, "upper": true, "size": false,
		"conv": false, "once": true, "method": true, "init#p/p.go#0": true} {
		if d := declOf(t, p, key); d.Startup != want {
			t.Errorf("%s: startup %v, want %v (calls %+v)", key, d.Startup, want, d.StartupCalls)
		}
	}
	if c := declOf(t, p, "table").StartupCalls; len(c) != 0 {
		t.Errorf("table calls %+v", c)
	}
	names := func(key string) []string {
		var out []string
		for _, c := range declOf(t, p, key).StartupCalls {
			s := c.Kind + ":" + c.Name
			if c.Maybe {
				s += "?"
			}
			out = append(out, s)
		}
		return out
	}
	if got := names("once"); !reflect.DeepEqual(got, []string{"closure:", "builtin:len", "func:Sprint"}) {
		t.Errorf("once calls %v", got)
	}
	if got := names("method"); !reflect.DeepEqual(got, []string{"method:Replace", "func:NewReplacer"}) {
		t.Errorf("method calls %v", got)
	}
	if got := names("init#p/p.go#0"); !reflect.DeepEqual(got, []string{"func:Slice", "func:HasPrefix?"}) {
		t.Errorf("init calls %v", got)
	}
}

func TestBrokenPackageIsReportedNotFatal(t *testing.T) {
	r := load(t, map[string]string{
		"p/p.go": "package p\n\nfunc F() int { return \"x\" }\n\nfunc G() int { return F() }\n",
		"q/q.go": "package q\n\nimport \"example.com/m/p\"\n\nvar V = p.G()\n",
	})
	p := pkgOf(t, r, m)
	if p.OK || p.ErrorCount != 1 || !strings.Contains(p.Errors[0], "p.go:3:") {
		t.Errorf("p: ok %v, errors %v", p.OK, p.Errors)
	}
	if u := declOf(t, p, "G").Uses; !reflect.DeepEqual(u, []Object{{m, "F", "func"}}) {
		t.Errorf("G uses %+v (a package with errors still reports what it can)", u)
	}
	q := pkgOf(t, r, "example.com/m/q")
	if q.OK || !strings.Contains(strings.Join(q.Errors, "\n"), "example.com/m/p") {
		t.Errorf("q: ok %v, errors %v", q.OK, q.Errors)
	}
}

func TestImportMapAndLimits(t *testing.T) {
	dir := t.TempDir()
	src := "package v\n\nimport up \"example.com/vendored/strings\"\n\nvar X = up.ToUpper(1)\nvar Y = up.ToUpper(2)\n"
	if err := os.WriteFile(filepath.Join(dir, "v.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	req := &Request{KeyRoot: "/elsewhere", MaxErrors: 1, Exports: map[string]string{"strings": exportOf(t, "strings")}}
	req.Packages = []PackageRequest{{ImportPath: "example.com/v", Dir: dir, GoFiles: []string{"v.go"},
		ImportMap: map[string]string{"example.com/vendored/strings": "strings"}}}
	if err := req.validate(); err != nil {
		t.Fatal(err)
	}
	p := Analyse(req).Packages[0]
	if p.OK || p.ErrorCount != 2 || len(p.Errors) != 1 {
		t.Errorf("want 2 errors, 1 listed: %v %v", p.ErrorCount, p.Errors)
	}
	d := declOf(t, &p, "X")
	if !reflect.DeepEqual(d.Uses, []Object{{"strings", "ToUpper", "func"}}) || d.File != filepath.Join(dir, "v.go") {
		t.Errorf("X: uses %+v, file %s", d.Uses, d.File)
	}
}

// exportOf asks go list for one standard package's export data.
func exportOf(t *testing.T, path string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-f", "{{.Export}}", path).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(out))
}

func TestUsage(t *testing.T) {
	var out, errb bytes.Buffer
	if rc := run(nil, strings.NewReader(""), &out, &errb); rc != 2 || !strings.Contains(errb.String(), "decls") {
		t.Errorf("no command: rc %d, stderr %q", rc, errb.String())
	}
	errb.Reset()
	if rc := run([]string{"decls"}, strings.NewReader("{"), &out, &errb); rc != 2 || strings.Count(errb.String(), "\n") != 1 {
		t.Errorf("bad JSON: rc %d, stderr %q", rc, errb.String())
	}
	errb.Reset()
	if rc := run([]string{"decls"}, strings.NewReader(`{"packages":[{"import_path":"a"},{"import_path":"a"}]}`), &out, &errb); rc != 2 {
		t.Errorf("duplicate package: rc %d, stderr %q", rc, errb.String())
	}
	out.Reset()
	if rc := run([]string{"decls"}, strings.NewReader(`{"packages":[]}`), &out, &errb); rc != 0 ||
		!strings.Contains(out.String(), `"version":1`) {
		t.Errorf("empty request: rc %d, out %q", rc, out.String())
	}
}

func TestCgoFilesAreCheckedWithImportCFaked(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"plain.go": "package c\n\nfunc Plain() int { return Twice(2) }\n",
		"cgo.go": `package c

/*
#include <stdlib.h>
static int twice(int x) { return 2 * x; }
*/
import "C"

import "unsafe"

// Twice calls C.
func Twice(x int) int {
	s := C.CString("x")
	defer C.free(unsafe.Pointer(s))
	return int(C.twice(C.int(x)))
}
`,
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	req := &Request{KeyRoot: dir, Exports: map[string]string{}}
	req.Packages = []PackageRequest{{ImportPath: "example.com/c", Dir: dir, GoFiles: []string{"plain.go"},
		CgoFiles: []string{"cgo.go"}}}
	if err := req.validate(); err != nil {
		t.Fatal(err)
	}
	p := Analyse(req).Packages[0]
	if !p.OK || !p.FakeImportC {
		t.Fatalf("ok %v, fake_import_c %v, errors %v", p.OK, p.FakeImportC, p.Errors)
	}
	if d := declOf(t, &p, "Plain"); !reflect.DeepEqual(d.Uses, []Object{{"example.com/c", "Twice", "func"}}) {
		t.Errorf("Plain uses %+v", d.Uses)
	}
	if d := declOf(t, &p, "Twice"); d.File != "cgo.go" || files["cgo.go"][d.NameStart:d.NameEnd] != "Twice" {
		t.Errorf("Twice: file %s, offsets %d-%d (offsets are in the file as written, not cgo's output)",
			d.File, d.NameStart, d.NameEnd)
	}
}
