package main

// The syntax walk of one declaration: uses, selections, conversions to interfaces, struct literals,
// and the calls it makes at startup.

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
)

// walk records what node uses. Function literals push their signature so that return statements
// find their result types.
func (acc *declAcc) walk(root ast.Node) {
	var stack []ast.Node
	ast.Inspect(root, func(n ast.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if _, ok := top.(*ast.FuncLit); ok {
				acc.sigs = acc.sigs[:len(acc.sigs)-1]
			}
			return true
		}
		stack = append(stack, n)
		acc.visit(n)
		return true
	})
}

func (acc *declAcc) visit(n ast.Node) {
	info := acc.a.info
	switch n := n.(type) {
	case *ast.FuncLit:
		sig, _ := info.TypeOf(n).(*types.Signature)
		acc.sigs = append(acc.sigs, sig)
	case *ast.Ident:
		if obj := info.Uses[n]; obj != nil {
			if o, ok := packageObject(obj); ok {
				acc.uses[o] = true
			}
		}
		if inst, ok := info.Instances[n]; ok {
			acc.typeArgs(info.Uses[n], inst)
		}
	case *ast.SelectorExpr:
		if sel := info.Selections[n]; sel != nil {
			acc.selection(n, sel)
		}
	case *ast.CallExpr:
		acc.called[ast.Unparen(n.Fun)] = true
		acc.call(n)
	case *ast.AssignStmt:
		if n.Tok != token.ASSIGN && n.Tok != token.DEFINE {
			return
		}
		if len(n.Lhs) == len(n.Rhs) {
			for i, l := range n.Lhs {
				acc.flow(n.Rhs[i], acc.lhsType(l))
			}
		} else if len(n.Rhs) == 1 {
			acc.flowTuple(n.Rhs[0], func(i int) types.Type {
				if i < len(n.Lhs) {
					return acc.lhsType(n.Lhs[i])
				}
				return nil
			})
		}
	case *ast.ValueSpec:
		// Local declarations only: a package-level spec is walked name by name, never as a node.
		if n.Type == nil {
			return
		}
		target := info.TypeOf(n.Type)
		if len(n.Values) == len(n.Names) {
			for _, v := range n.Values {
				acc.flow(v, target)
			}
		} else if len(n.Values) == 1 {
			acc.flowTuple(n.Values[0], func(int) types.Type { return target })
		}
	case *ast.ReturnStmt:
		if len(acc.sigs) == 0 || acc.sigs[len(acc.sigs)-1] == nil {
			return
		}
		res := acc.sigs[len(acc.sigs)-1].Results()
		if len(n.Results) == res.Len() {
			for i, r := range n.Results {
				acc.flow(r, res.At(i).Type())
			}
		} else if len(n.Results) == 1 {
			acc.flowTuple(n.Results[0], func(i int) types.Type {
				if i < res.Len() {
					return res.At(i).Type()
				}
				return nil
			})
		}
	case *ast.CompositeLit:
		acc.literal(n)
	case *ast.SendStmt:
		if ch, ok := coreType(info.TypeOf(n.Chan)).(*types.Chan); ok {
			acc.flow(n.Value, ch.Elem())
		}
	case *ast.IndexExpr:
		if m, ok := coreType(info.TypeOf(n.X)).(*types.Map); ok {
			acc.flow(n.Index, m.Key())
		}
	}
}

// packageObject is obj as an Object when it is declared at package level (not a field, method,
// local, label, package name or builtin).
func packageObject(obj types.Object) (Object, bool) {
	pkg := obj.Pkg()
	if pkg == nil || obj.Parent() != pkg.Scope() {
		return Object{}, false
	}
	var kind string
	switch o := obj.(type) {
	case *types.Func:
		kind = "func"
	case *types.Var:
		kind = "var"
	case *types.Const:
		kind = "const"
	case *types.TypeName:
		kind = "type"
		if o.IsAlias() {
			kind = "alias"
		}
	default:
		return Object{}, false
	}
	return Object{Pkg: pkg.Path(), Name: obj.Name(), Kind: kind}, true
}

// coreType is t's underlying type, through aliases and (for type parameters) a single-type constraint.
func coreType(t types.Type) types.Type {
	if t == nil {
		return nil
	}
	u := types.Unalias(t).Underlying()
	if tp, ok := types.Unalias(t).(*types.TypeParam); ok {
		iface, _ := tp.Constraint().Underlying().(*types.Interface)
		if iface == nil || iface.NumEmbeddeds() != 1 {
			return nil
		}
		if un, ok := iface.EmbeddedType(0).(*types.Union); ok {
			if un.Len() != 1 {
				return nil
			}
			return types.Unalias(un.Term(0).Type()).Underlying()
		}
		return types.Unalias(iface.EmbeddedType(0)).Underlying()
	}
	return u
}

// typeRef names t when it is a named type (through aliases; generic instances by their origin).
func typeRef(t types.Type) *TypeRef {
	var obj *types.TypeName
	switch t := types.Unalias(t).(type) {
	case *types.Named:
		obj = t.Origin().Obj()
	case *types.TypeParam:
		return nil
	default:
		return nil
	}
	r := &TypeRef{Name: obj.Name()}
	if obj.Pkg() != nil {
		r.Pkg = obj.Pkg().Path()
		r.Local = obj.Parent() != obj.Pkg().Scope()
	}
	return r
}

// deref is t without one level of pointer (through aliases), and whether there was one.
func deref(t types.Type) (types.Type, bool) {
	t = types.Unalias(t)
	if p, ok := t.(*types.Pointer); ok {
		return types.Unalias(p.Elem()), true
	}
	return t, false
}

// path walks the embedded fields that index selects from t (go/types' Selection.Index without its
// last element), naming the type that declares each.
func path(t types.Type, index []int) ([]Step, types.Type) {
	var steps []Step
	for _, i := range index {
		t, _ = deref(t)
		st, ok := coreType(t).(*types.Struct)
		if !ok || i >= st.NumFields() {
			return steps, nil
		}
		f := st.Field(i)
		steps = append(steps, Step{Type: typeRef(t), Field: f.Name()})
		t = f.Type()
	}
	return steps, t
}

// methodOwner is the type that declares method fn (for interface methods, the interface).
func methodOwner(fn *types.Func) (ref *TypeRef, pointer, iface bool) {
	sig, _ := fn.Origin().Type().(*types.Signature)
	if sig == nil || sig.Recv() == nil {
		return nil, false, false
	}
	t, ptr := deref(sig.Recv().Type())
	return typeRef(t), ptr, types.IsInterface(t)
}

func (acc *declAcc) selection(n *ast.SelectorExpr, sel *types.Selection) {
	index := sel.Index()
	switch sel.Kind() {
	case types.FieldVal:
		steps, last := path(sel.Recv(), index[:len(index)-1])
		last, _ = deref(last)
		u := FieldUse{Field: sel.Obj().Name(), Path: steps}
		if last != nil {
			u.Type = typeRef(last)
		}
		acc.fields[key(u)] = u
	case types.MethodVal, types.MethodExpr:
		fn, ok := sel.Obj().(*types.Func)
		if !ok {
			return
		}
		steps, _ := path(sel.Recv(), index[:len(index)-1])
		ref, ptr, iface := methodOwner(fn)
		mode := "value"
		if sel.Kind() == types.MethodExpr {
			mode = "expr"
		} else if acc.called[n] {
			mode = "call"
		}
		u := MethodUse{Type: ref, Method: fn.Name(), Pointer: ptr, Interface: iface, Mode: mode, Path: steps}
		acc.methods[key(u)] = u
	}
}

func key(v any) string { return fmt.Sprintf("%+v", deep(v)) }

// deep replaces pointers by what they point to, so that keys compare contents.
func deep(v any) any {
	switch v := v.(type) {
	case FieldUse:
		return []any{deepRef(v.Type), v.Field, deepSteps(v.Path)}
	case MethodUse:
		return []any{deepRef(v.Type), v.Method, v.Pointer, v.Interface, v.Mode, deepSteps(v.Path)}
	case Conversion:
		return []any{v.From, v.Pointer, deepRef(v.To), v.ToText}
	case Call:
		return []any{v.Kind, v.Pkg, v.Name, deepRef(v.Type), v.Interface, v.Maybe}
	case Literal:
		return []any{v.Type, v.Keyed, v.Fields}
	}
	return v
}

func deepRef(r *TypeRef) TypeRef {
	if r == nil {
		return TypeRef{}
	}
	return *r
}

func deepSteps(steps []Step) []any {
	var out []any
	for _, s := range steps {
		out = append(out, deepRef(s.Type), s.Field)
	}
	return out
}

// lhsType is the type of an assignment's left-hand side (nil for the blank identifier).
func (acc *declAcc) lhsType(e ast.Expr) types.Type {
	info := acc.a.info
	if id, ok := ast.Unparen(e).(*ast.Ident); ok {
		if obj := info.Defs[id]; obj != nil {
			return obj.Type()
		}
		if obj := info.Uses[id]; obj != nil {
			return obj.Type()
		}
		return nil
	}
	return info.TypeOf(e)
}

// call records the implicit conversions of a call's arguments (and of an explicit conversion T(x)).
func (acc *declAcc) call(n *ast.CallExpr) {
	info := acc.a.info
	tv, ok := info.Types[ast.Unparen(n.Fun)]
	if !ok {
		return
	}
	if tv.IsType() {
		if len(n.Args) == 1 {
			acc.flow(n.Args[0], tv.Type)
		}
		return
	}
	sig, _ := coreType(tv.Type).(*types.Signature)
	if sig == nil {
		return
	}
	params := sig.Params()
	param := func(i int) types.Type {
		if sig.Variadic() && i >= params.Len()-1 {
			last := params.At(params.Len() - 1).Type()
			if n.Ellipsis.IsValid() {
				return last
			}
			if s, ok := coreType(last).(*types.Slice); ok {
				return s.Elem()
			}
			return nil
		}
		if i < params.Len() {
			return params.At(i).Type()
		}
		return nil
	}
	if len(n.Args) == 1 && params.Len() > 1 {
		acc.flowTuple(n.Args[0], param)
		return
	}
	for i, arg := range n.Args {
		acc.flow(arg, param(i))
	}
}

// flowTuple handles `f(g())`, `a, b = g()` and `return g()`: the i-th result of g flows to target(i).
func (acc *declAcc) flowTuple(e ast.Expr, target func(int) types.Type) {
	tuple, ok := acc.a.info.TypeOf(e).(*types.Tuple)
	if !ok {
		if t := target(0); t != nil {
			acc.flow(e, t)
		}
		return
	}
	for i := 0; i < tuple.Len(); i++ {
		acc.convert(tuple.At(i).Type(), target(i))
	}
}

// flow records that the value of e is converted to target, when target is an interface and e's type
// is a concrete named type or a pointer to one.
func (acc *declAcc) flow(e ast.Expr, target types.Type) {
	if target == nil {
		return
	}
	tv, ok := acc.a.info.Types[e]
	if !ok || tv.IsNil() || tv.IsType() {
		return
	}
	acc.convert(tv.Type, target)
}

func (acc *declAcc) convert(from, to types.Type) {
	if from == nil || to == nil {
		return
	}
	if _, isParam := types.Unalias(to).(*types.TypeParam); isParam {
		return
	}
	iface, ok := types.Unalias(to).Underlying().(*types.Interface)
	if !ok || types.IsInterface(from) {
		return
	}
	named, ptr := deref(from)
	ref := typeRef(named)
	if ref == nil {
		return
	}
	c := Conversion{From: *ref, Pointer: ptr, To: typeRef(to), ToText: types.TypeString(to, acc.qualifier)}
	if iface.Empty() && c.To == nil {
		c.ToText = "any"
	}
	k := key(c)
	if _, seen := acc.convs[k]; seen {
		return
	}
	c.Methods = acc.a.impls(from, to, iface)
	acc.convs[k] = c
}

func (acc *declAcc) qualifier(p *types.Package) string {
	if p == acc.a.pkg {
		return ""
	}
	return p.Path()
}

// impls resolves every method of iface for the concrete type from.
func (a *analysis) impls(from, to types.Type, iface *types.Interface) []Impl {
	k := convKey{from, to}
	if got, ok := a.conv[k]; ok {
		return got
	}
	out := []Impl{}
	for i := 0; i < iface.NumMethods(); i++ {
		m := iface.Method(i)
		obj, index, _ := types.LookupFieldOrMethod(from, false, m.Pkg(), m.Name())
		fn, ok := obj.(*types.Func)
		if !ok {
			continue
		}
		steps, _ := path(from, index[:len(index)-1])
		ref, ptr, _ := methodOwner(fn)
		out = append(out, Impl{Method: m.Name(), Type: ref, Pointer: ptr, Path: steps})
	}
	a.conv[k] = out
	return out
}

// typeArgs records type arguments that are concrete named types instantiating a type parameter whose
// constraint has methods: generic code calls those methods.
func (acc *declAcc) typeArgs(obj types.Object, inst types.Instance) {
	var params *types.TypeParamList
	switch o := obj.(type) {
	case *types.Func:
		if sig, ok := o.Type().(*types.Signature); ok {
			params = sig.TypeParams()
		}
	case *types.TypeName:
		if named, ok := types.Unalias(o.Type()).(*types.Named); ok {
			params = named.TypeParams()
		}
	}
	if params == nil || inst.TypeArgs == nil {
		return
	}
	for i := 0; i < inst.TypeArgs.Len() && i < params.Len(); i++ {
		constraint := params.At(i).Constraint()
		if iface, ok := constraint.Underlying().(*types.Interface); ok && iface.NumMethods() > 0 {
			acc.convert(inst.TypeArgs.At(i), constraint)
		}
	}
}

// literal records a composite literal of a named struct type and the implicit conversions of its
// elements.
func (acc *declAcc) literal(n *ast.CompositeLit) {
	info := acc.a.info
	t, _ := deref(info.TypeOf(n))
	if t == nil {
		return
	}
	switch u := coreType(t).(type) {
	case *types.Struct:
		lit := Literal{Fields: []string{}, Unexported: []string{}}
		set := map[string]bool{}
		for i, e := range n.Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok {
				lit.Keyed = true
				if id, ok := kv.Key.(*ast.Ident); ok {
					set[id.Name] = true
					for j := 0; j < u.NumFields(); j++ {
						if u.Field(j).Name() == id.Name {
							acc.flow(kv.Value, u.Field(j).Type())
						}
					}
				}
			} else if i < u.NumFields() {
				set[u.Field(i).Name()] = true
				acc.flow(e, u.Field(i).Type())
			}
		}
		for j := 0; j < u.NumFields(); j++ {
			if f := u.Field(j); set[f.Name()] {
				lit.Fields = append(lit.Fields, f.Name())
				if !f.Exported() {
					lit.Unexported = append(lit.Unexported, f.Name())
				}
			}
		}
		if ref := typeRef(t); ref != nil {
			lit.Type = *ref
			acc.lits[key(lit)] = lit
		}
	case *types.Slice:
		acc.elements(n, nil, u.Elem())
	case *types.Array:
		acc.elements(n, nil, u.Elem())
	case *types.Map:
		acc.elements(n, u.Key(), u.Elem())
	}
}

func (acc *declAcc) elements(n *ast.CompositeLit, keyType, elem types.Type) {
	for _, e := range n.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok {
			if keyType != nil {
				acc.flow(kv.Key, keyType)
			}
			acc.flow(kv.Value, elem)
		} else {
			acc.flow(e, elem)
		}
	}
}

// startup records the calls that evaluating node makes: function literals are not entered (a literal
// stored in a table does not run), except one called on the spot; literals passed as arguments to a
// call are entered with maybe set (the callee may call them: sort.Slice, sync.Once.Do).
func (acc *declAcc) startup(node ast.Node, maybe bool) {
	ast.Inspect(node, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.CallExpr:
			fun := ast.Unparen(n.Fun)
			if tv, ok := acc.a.info.Types[fun]; ok && tv.IsType() {
				return true // a conversion
			}
			if lit, ok := fun.(*ast.FuncLit); ok {
				acc.addCall(Call{Kind: "closure", Maybe: maybe})
				acc.startup(lit.Body, maybe)
			} else {
				c := acc.callee(fun)
				c.Maybe = maybe
				acc.addCall(c)
			}
			for _, arg := range n.Args {
				if lit, ok := ast.Unparen(arg).(*ast.FuncLit); ok {
					acc.startup(lit.Body, true)
				} else {
					acc.startup(arg, maybe)
				}
			}
			if _, ok := fun.(*ast.FuncLit); !ok {
				acc.startup(fun, maybe) // the receiver of a method call, or a function value's expression
			}
			return false
		}
		return true
	})
}

func (acc *declAcc) addCall(c Call) {
	k := key(c)
	if _, seen := acc.calls[k]; !seen {
		acc.calls[k] = c
		acc.order = append(acc.order, k)
	}
}

// callee names what a call expression's function part calls.
func (acc *declAcc) callee(fun ast.Expr) Call {
	info := acc.a.info
	switch f := fun.(type) {
	case *ast.IndexExpr: // an explicitly instantiated generic function
		return acc.callee(ast.Unparen(f.X))
	case *ast.IndexListExpr:
		return acc.callee(ast.Unparen(f.X))
	case *ast.SelectorExpr:
		if sel := info.Selections[f]; sel != nil {
			if fn, ok := sel.Obj().(*types.Func); ok && sel.Kind() != types.FieldVal {
				ref, _, iface := methodOwner(fn)
				return Call{Kind: "method", Name: fn.Name(), Type: ref, Interface: iface}
			}
			return Call{Kind: "dynamic", Name: sel.Obj().Name()}
		}
		return acc.calleeObject(info.Uses[f.Sel])
	case *ast.Ident:
		return acc.calleeObject(info.Uses[f])
	}
	return Call{Kind: "dynamic"}
}

func (acc *declAcc) calleeObject(obj types.Object) Call {
	switch o := obj.(type) {
	case *types.Builtin:
		c := Call{Kind: "builtin", Name: o.Name()}
		if o.Pkg() != nil {
			c.Pkg = o.Pkg().Path() // unsafe
		}
		return c
	case *types.Func:
		c := Call{Kind: "func", Name: o.Name()}
		if o.Pkg() != nil {
			c.Pkg = o.Pkg().Path()
		}
		return c
	case nil:
		return Call{Kind: "dynamic"}
	}
	c := Call{Kind: "dynamic", Name: obj.Name()}
	if p, ok := packageObject(obj); ok {
		c.Pkg = p.Pkg
	}
	return c
}

// pureBuiltins run no code of the program and have no effect outside their result.
var pureBuiltins = map[string]bool{
	"append": true, "cap": true, "complex": true, "copy": true, "imag": true, "len": true, "make": true,
	"max": true, "min": true, "new": true, "real": true, "Sizeof": true, "Alignof": true, "Offsetof": true,
	"Add": true, "Slice": true, "SliceData": true, "String": true, "StringData": true,
}

// runsCode reports whether the recorded startup calls run any code: a call other than a pure builtin.
func (acc *declAcc) runsCode() bool {
	for _, c := range acc.calls {
		if c.Kind != "builtin" || !pureBuiltins[c.Name] {
			return true
		}
	}
	return false
}
