package main

// Reflect method lookups in the module's own code (part of the `templates` answer): each call of
// reflect.Value/Type's Method, MethodByName (with a name that is not a constant) or Methods, which
// makes the linker keep every exported method of every reachable type. When the call is
// reflect.ValueOf(x).MethodByName(name) and x has a concrete static type, the set of methods is
// closed: the call is replaced by a switch over that type's exported methods.

import (
	"go/ast"
	"go/types"
	"sort"
	"strings"
)

// ReflectCall is one reflect method lookup of the package.
type ReflectCall struct {
	File     string     `json:"file"`
	Line     int        `json:"line"`
	Start    int        `json:"start"`
	End      int        `json:"end"`
	Call     string     `json:"call"`     // the call's source text
	Method   string     `json:"method"`   // Method, MethodByName or Methods
	Receiver string     `json:"receiver"` // reflect.Value or reflect.Type
	Func     string     `json:"func"`     // the enclosing function (Recv.Name or Name); "" at package level
	Closed   bool       `json:"closed"`   // the methods it can reach are known: Edits replace it
	Reason   string     `json:"reason"`   // why not, when not closed
	Methods  []string   `json:"methods"`  // the methods of the table, when closed
	Edits    []TextEdit `json:"edits"`
	Decls    string     `json:"decls"` // the table function
	Imports  []string   `json:"imports"`
}

func (t *tpkg) reflectCalls() []ReflectCall {
	out := []ReflectCall{}
	for _, f := range t.files {
		var fn string
		ast.Inspect(f, func(n ast.Node) bool {
			if fd, ok := n.(*ast.FuncDecl); ok {
				fn = fd.Name.Name
				if fd.Recv != nil && len(fd.Recv.List) > 0 {
					if r, _ := receiverName(fd.Recv.List[0].Type); r != "" {
						fn = r + "." + fn
					}
				}
			}
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			if name != "Method" && name != "MethodByName" && name != "Methods" {
				return true
			}
			recv := reflectRecv(t.info, sel)
			if recv == "" {
				return true
			}
			if name == "MethodByName" && len(call.Args) == 1 {
				if _, ok := t.constString(call.Args[0]); ok {
					return true // a constant name keeps only methods of that name: not a blocker
				}
			}
			rc := ReflectCall{File: t.key(call), Line: t.line(call), Start: t.offset(call.Pos()), End: t.offset(call.End()),
				Call: t.text(call), Method: name, Receiver: recv, Func: fn, Methods: []string{}, Edits: []TextEdit{},
				Imports: []string{}}
			t.closeReflectCall(&rc, call, sel)
			out = append(out, rc)
			return true
		})
	}
	return out
}

// reflectRecv is "reflect.Value" or "reflect.Type" when sel selects a method of one of them.
func reflectRecv(info *types.Info, sel *ast.SelectorExpr) string {
	s := info.Selections[sel]
	if s == nil || s.Kind() != types.MethodVal {
		return ""
	}
	t := s.Recv()
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil || n.Obj().Pkg().Path() != "reflect" {
		return ""
	}
	switch n.Obj().Name() {
	case "Value", "Type":
		return "reflect." + n.Obj().Name()
	}
	return ""
}

// closeReflectCall fills the table rewrite of reflect.ValueOf(x).MethodByName(name) when x's static
// type is concrete, or the reason why the call's methods are not a closed set.
func (t *tpkg) closeReflectCall(rc *ReflectCall, call *ast.CallExpr, sel *ast.SelectorExpr) {
	if rc.Method != "MethodByName" || rc.Receiver != "reflect.Value" {
		rc.Reason = "reflect." + strings.TrimPrefix(rc.Receiver, "reflect.") + "." + rc.Method +
			" enumerates methods by index: gotrim rewrites only reflect.ValueOf(x).MethodByName(name)"
		return
	}
	inner, ok := unparen(sel.X).(*ast.CallExpr)
	if !ok || len(inner.Args) != 1 || !t.isReflectFunc(inner.Fun, "ValueOf") {
		rc.Reason = "the value is " + t.text(sel.X) + ": gotrim follows reflect.ValueOf(x).MethodByName(name) only"
		return
	}
	arg := inner.Args[0]
	typ := t.info.Types[arg].Type
	if typ == nil || types.IsInterface(typ) {
		rc.Reason = "the value " + t.text(arg) + " has interface type " + types.TypeString(typ, types.RelativeTo(t.pkg)) +
			": the methods of its dynamic types are not a closed set"
		return
	}
	ms := types.NewMethodSet(typ)
	var names []string
	for i := 0; i < ms.Len(); i++ {
		if m := ms.At(i).Obj(); m.Exported() {
			names = append(names, m.Name())
		}
	}
	sort.Strings(names)
	qual := func(p *types.Package) string {
		if p == t.pkg {
			return ""
		}
		return p.Name()
	}
	tname := types.TypeString(typ, qual)
	var imports []string
	var collect func(types.Type)
	seen := map[types.Type]bool{}
	collect = func(tt types.Type) {
		if seen[tt] {
			return
		}
		seen[tt] = true
		switch x := tt.(type) {
		case *types.Named:
			if p := x.Obj().Pkg(); p != nil && p != t.pkg {
				imports = append(imports, p.Path())
			}
			if args := x.TypeArgs(); args != nil {
				for i := 0; i < args.Len(); i++ {
					collect(args.At(i))
				}
			}
		case *types.Pointer:
			collect(x.Elem())
		case *types.Slice:
			collect(x.Elem())
		case *types.Map:
			collect(x.Key())
			collect(x.Elem())
		}
	}
	collect(typ)
	fname := t.funcNameFor("methodByName", tname)
	var b strings.Builder
	b.WriteString("// " + fname + " is reflect.ValueOf(x).MethodByName(name) for the exported methods of " + tname + ",\n")
	b.WriteString("// without reflect's method lookup: a lookup by a name known only at run time makes the\n")
	b.WriteString("// linker keep every exported method of every type in the binary.\n")
	b.WriteString("func " + fname + "(x " + tname + ", name string) reflect.Value {\n\tswitch name {\n")
	for _, n := range names {
		b.WriteString("\tcase \"" + n + "\":\n\t\treturn reflect.ValueOf(x." + n + ")\n")
	}
	b.WriteString("\t}\n\treturn reflect.Value{}\n}\n")
	rc.Closed = true
	rc.Methods = names
	rc.Decls = b.String()
	rc.Imports = append([]string{"reflect"}, imports...)
	rc.Edits = []TextEdit{{File: rc.File, Start: rc.Start, End: rc.End,
		New: fname + "(" + t.text(arg) + ", " + t.text(call.Args[0]) + ")"}}
}

func (t *tpkg) isReflectFunc(fun ast.Expr, name string) bool {
	sel, ok := unparen(fun).(*ast.SelectorExpr)
	if !ok || sel.Sel.Name != name {
		return false
	}
	id, ok := sel.X.(*ast.Ident)
	if !ok {
		return false
	}
	pn, ok := t.info.Uses[id].(*types.PkgName)
	return ok && pn.Imported().Path() == "reflect"
}

// importedName is the name the package's files use for an import path ("" when imported otherwise).
func (t *tpkg) importedName(path string) string {
	for _, f := range t.files {
		for _, im := range f.Imports {
			if strings.Trim(im.Path.Value, "\"`") == path {
				if im.Name != nil {
					return im.Name.Name
				}
				return pathBase(path)
			}
		}
	}
	return ""
}

func pathBase(p string) string {
	if i := strings.LastIndex(p, "/"); i >= 0 {
		return p[i+1:]
	}
	return p
}

// funcNameFor is a new package-level name: prefix + the type's name in letters.
func (t *tpkg) funcNameFor(prefix, typeName string) string {
	var b strings.Builder
	up := true
	for _, r := range typeName {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	name := prefix + b.String()
	out := name
	for i := 2; t.taken[out]; i++ {
		out = name + itoa(i)
	}
	t.taken[out] = true
	return out
}
