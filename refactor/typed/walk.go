package main

// What one top-level declaration uses, from go/types' Info over its syntax.

import (
	"go/ast"
	"go/token"
	"go/types"
	"sort"
	"strings"
)

// Decl is one top-level declaration (one per declared name), keyed as gotrim's source model
// (refactor/gosource.py, Decl.key) keys it.
type Decl struct {
	Key             string `json:"key"`  // "Name", "Recv.Method", "init#FILE#N", "_#FILE#N"
	Name            string `json:"name"` // the declared name
	Kind            string `json:"kind"` // func, method, init, var, const, type, alias
	Receiver        string `json:"receiver,omitempty"`
	PointerReceiver bool   `json:"pointer_receiver,omitempty"`
	File            string `json:"file"`       // as in the key: relative to key_root, or absolute
	Start           int    `json:"start"`      // byte offsets of the declaration (func or spec) in File
	End             int    `json:"end"`        //
	NameStart       int    `json:"name_start"` // byte offsets of the declared name
	NameEnd         int    `json:"name_end"`   //

	Uses         []Object     `json:"uses"`          // package-level objects named (any package, this one too)
	Fields       []FieldUse   `json:"fields"`        // field selections x.f
	Methods      []MethodUse  `json:"methods"`       // method selections x.m, T.m, and calls of them
	Conversions  []Conversion `json:"conversions"`   // concrete named types that flow into interfaces
	Literals     []Literal    `json:"literals"`      // composite literals of named struct types
	StartupCalls []Call       `json:"startup_calls"` // calls made when the program starts (vars, init)
	Startup      bool         `json:"startup"`       // it runs code at startup (an init, or a var whose value calls)
}

// Object is a package-level object: the package's import path ("" for the universe), its name, its kind.
type Object struct {
	Pkg  string `json:"pkg"`
	Name string `json:"name"`
	Kind string `json:"kind"` // func, var, const, type, alias
}

// TypeRef names a named type: generic types by their origin (Box, not Box[int]). Local is set for a
// type declared inside a function.
type TypeRef struct {
	Pkg   string `json:"pkg"`
	Name  string `json:"name"`
	Local bool   `json:"local,omitempty"`
}

// Step is one implicit selection of an embedded field on the way to a promoted field or method.
type Step struct {
	Type  *TypeRef `json:"type"` // the named type declaring the embedded field (null: an unnamed struct)
	Field string   `json:"field"`
}

// FieldUse is a field selection x.f, resolved to the type declaring f.
type FieldUse struct {
	Type  *TypeRef `json:"type"` // the named struct type declaring the field (null: an unnamed struct)
	Field string   `json:"field"`
	Path  []Step   `json:"path,omitempty"` // embedded fields selected on the way, outermost first
}

// MethodUse is a method selection, resolved to the type declaring the method.
type MethodUse struct {
	Type      *TypeRef `json:"type"` // the named type declaring the method (null: an unnamed interface)
	Method    string   `json:"method"`
	Pointer   bool     `json:"pointer,omitempty"`   // declared with a pointer receiver
	Interface bool     `json:"interface,omitempty"` // an interface method: a dynamic call
	Mode      string   `json:"mode"`                // call (x.m()), value (x.m), expr (T.m)
	Path      []Step   `json:"path,omitempty"`      // embedded fields selected on the way (promotion)
}

// Conversion is a concrete named type (or a pointer to one) converted to an interface type, explicitly
// or implicitly (assignment, argument, result, literal element, send, map key, type argument for a
// constraint with methods). Methods lists, for each method of the interface, the concrete method that
// a dynamic call through it reaches.
type Conversion struct {
	From    TypeRef  `json:"from"`
	Pointer bool     `json:"pointer,omitempty"` // *From
	To      *TypeRef `json:"to"`                // the named interface (null: an unnamed one, see to_text)
	ToText  string   `json:"to_text"`           // the interface as written by go/types ("any", "io.Writer")
	Methods []Impl   `json:"methods"`
}

// Impl is the method a dynamic call of an interface method reaches for one concrete type.
type Impl struct {
	Method  string   `json:"method"`
	Type    *TypeRef `json:"type"` // the type declaring it (promoted methods: the embedded type)
	Pointer bool     `json:"pointer,omitempty"`
	Path    []Step   `json:"path,omitempty"`
}

// Literal is a composite literal of a named struct type and the fields it sets.
type Literal struct {
	Type       TypeRef  `json:"type"`
	Keyed      bool     `json:"keyed"`      // T{f: v} (false: T{v1, v2} or T{})
	Fields     []string `json:"fields"`     // fields set, in declaration order (positional: all)
	Unexported []string `json:"unexported"` // those of them that are unexported
}

// Call is a call evaluated at startup: in a package-level variable's initializer or in an init
// function, outside function literals (except literals called on the spot).
type Call struct {
	Kind      string   `json:"kind"` // func, method, builtin, closure (a literal called on the spot), dynamic
	Pkg       string   `json:"pkg,omitempty"`
	Name      string   `json:"name,omitempty"` // func/builtin name, method name, or the func-typed variable
	Type      *TypeRef `json:"type,omitempty"` // for methods: the declaring type
	Interface bool     `json:"interface,omitempty"`
	Maybe     bool     `json:"maybe,omitempty"` // inside a function literal passed to a call: may run then
}

type convKey struct {
	from types.Type
	to   types.Type
}

type analysis struct {
	fset *token.FileSet
	pkg  *types.Package
	info *types.Info
	conv map[convKey][]Impl // method resolutions, per package
}

// declAcc accumulates one declaration's findings, deduplicated.
type declAcc struct {
	a       *analysis
	uses    map[Object]bool
	fields  map[string]FieldUse
	methods map[string]MethodUse
	convs   map[string]Conversion
	lits    map[string]Literal
	calls   map[string]Call
	order   []string // first-seen order of startup calls
	called  map[ast.Expr]bool
	sigs    []*types.Signature
}

func (a *analysis) newAcc() *declAcc {
	return &declAcc{a: a, uses: map[Object]bool{}, fields: map[string]FieldUse{}, methods: map[string]MethodUse{},
		convs: map[string]Conversion{}, lits: map[string]Literal{}, calls: map[string]Call{}, called: map[ast.Expr]bool{}}
}

// fileDecls lists the top-level declarations of one file in source order, keyed like gosource.py:
// init functions and blank names are numbered per file.
func (a *analysis) fileDecls(f *ast.File, path string) []Decl {
	var out []Decl
	inits, blanks := 0, 0
	key := func(name, kind, recv string) string {
		switch {
		case kind == "init":
			inits++
			return "init#" + path + "#" + itoa(inits-1)
		case name == "_":
			blanks++
			return "_#" + path + "#" + itoa(blanks-1)
		case kind == "method":
			return recv + "." + name
		}
		return name
	}
	for _, decl := range f.Decls {
		switch d := decl.(type) {
		case *ast.FuncDecl:
			kind, recv, ptr := "func", "", false
			if d.Recv != nil {
				kind = "method"
				if len(d.Recv.List) > 0 {
					recv, ptr = receiverName(d.Recv.List[0].Type)
				}
			} else if d.Name.Name == "init" {
				kind = "init"
			}
			acc := a.newAcc()
			if fn, ok := a.info.Defs[d.Name].(*types.Func); ok {
				acc.sigs = append(acc.sigs, fn.Type().(*types.Signature))
			}
			acc.walk(d)
			if kind == "init" && d.Body != nil {
				acc.startup(d.Body, false)
			}
			dd := a.decl(acc, path, key(d.Name.Name, kind, recv), d.Name, kind, d)
			dd.Receiver, dd.PointerReceiver = recv, ptr
			dd.Startup = kind == "init"
			out = append(out, dd)
		case *ast.GenDecl:
			if d.Tok == token.IMPORT {
				continue
			}
			var base *ast.ValueSpec // the last const spec with values: what implicit repetition repeats
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					kind := "type"
					if s.Assign.IsValid() {
						kind = "alias"
					}
					acc := a.newAcc()
					acc.walk(s)
					out = append(out, a.decl(acc, path, key(s.Name.Name, kind, ""), s.Name, kind, s))
				case *ast.ValueSpec:
					kind := strings.ToLower(d.Tok.String())
					typ, values := s.Type, s.Values
					if d.Tok == token.CONST {
						if s.Type == nil && len(s.Values) == 0 && base != nil {
							typ, values = base.Type, base.Values
						} else if len(s.Values) > 0 {
							base = s
						}
					}
					for i, name := range s.Names {
						// One value per name: each name gets its own; `a, b = f()`: both share f().
						var mine []ast.Expr
						if len(values) == len(s.Names) {
							mine = values[i : i+1]
						} else {
							mine = values
						}
						acc := a.newAcc()
						if typ != nil {
							acc.walk(typ)
						}
						for _, v := range mine {
							acc.walk(v)
						}
						if typ != nil && d.Tok == token.VAR {
							target := a.info.TypeOf(typ)
							if len(mine) == 1 && len(values) == len(s.Names) {
								acc.flow(mine[0], target)
							} else if len(mine) == 1 {
								acc.flowTuple(mine[0], func(int) types.Type { return target })
							}
						}
						if d.Tok == token.VAR {
							for _, v := range mine {
								acc.startup(v, false)
							}
						}
						dd := a.decl(acc, path, key(name.Name, kind, ""), name, kind, s)
						dd.Startup = kind == "var" && acc.runsCode()
						out = append(out, dd)
					}
				}
			}
		}
	}
	return out
}

func itoa(n int) string {
	const digits = "0123456789"
	if n < 10 {
		return digits[n : n+1]
	}
	return itoa(n/10) + digits[n%10:n%10+1]
}

// receiverName is the receiver's type name as gosource.py has it: no pointer, parens or type arguments.
func receiverName(e ast.Expr) (string, bool) {
	ptr := false
	for {
		switch t := e.(type) {
		case *ast.StarExpr:
			ptr = true
			e = t.X
		case *ast.ParenExpr:
			e = t.X
		case *ast.IndexExpr:
			e = t.X
		case *ast.IndexListExpr:
			e = t.X
		case *ast.Ident:
			return t.Name, ptr
		default:
			return "", ptr
		}
	}
}

func (a *analysis) offset(p token.Pos) int {
	if f := a.fset.File(p); f != nil && p.IsValid() {
		return f.Offset(p)
	}
	return -1
}

func (a *analysis) decl(acc *declAcc, path, key string, name *ast.Ident, kind string, node ast.Node) Decl {
	d := Decl{
		Key: key, Name: name.Name, Kind: kind, File: path,
		Start: a.offset(node.Pos()), End: a.offset(node.End()),
		NameStart: a.offset(name.Pos()), NameEnd: a.offset(name.End()),
		Uses: []Object{}, Fields: []FieldUse{}, Methods: []MethodUse{}, Conversions: []Conversion{},
		Literals: []Literal{}, StartupCalls: []Call{},
	}
	for o := range acc.uses {
		d.Uses = append(d.Uses, o)
	}
	sort.Slice(d.Uses, func(i, j int) bool {
		x, y := d.Uses[i], d.Uses[j]
		if x.Pkg != y.Pkg {
			return x.Pkg < y.Pkg
		}
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		return x.Kind < y.Kind
	})
	for _, k := range sortedKeys(acc.fields) {
		d.Fields = append(d.Fields, acc.fields[k])
	}
	for _, k := range sortedKeys(acc.methods) {
		d.Methods = append(d.Methods, acc.methods[k])
	}
	for _, k := range sortedKeys(acc.convs) {
		d.Conversions = append(d.Conversions, acc.convs[k])
	}
	for _, k := range sortedKeys(acc.lits) {
		d.Literals = append(d.Literals, acc.lits[k])
	}
	for _, k := range acc.order {
		d.StartupCalls = append(d.StartupCalls, acc.calls[k])
	}
	return d
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
