package tmplgen

import (
	"fmt"
	"go/types"
	"strconv"
	"strings"
	"text/template/parse"
)

// evalBuiltin emits text/template's builtin functions (other than and/or) on evaluated arguments.
// Arguments of builtins that take reflect.Value are the values themselves.
func (g *gen) evalBuiltin(name string, node parse.Node, fname string, args []parse.Node, final value, argv []value) value {
	switch name {
	case "not":
		t := g.truth(argv[0], false)
		x := g.tmp()
		g.decl("!("+t+")", x)
		return value{x: x, t: types.Typ[types.Bool]}
	case "print", "println", "printf":
		f := g.std("fmt")
		fn := map[string]string{"print": "Sprint", "println": "Sprintln", "printf": "Sprintf"}[name]
		var head string
		rest := argv
		if name == "printf" {
			head = argv[0].val() + ", "
			rest = argv[1:]
		}
		exprs := make([]string, len(rest))
		for i, a := range rest {
			exprs[i] = g.anyExpr(a)
		}
		x := g.tmp()
		// The arguments go through a slice so that vet does not check a template's format.
		g.decl(fmt.Sprintf("%s.%s(%s[]interface{}{%s}...)", f, fn, head, strings.Join(exprs, ", ")), x)
		return value{x: x, t: types.Typ[types.String]}
	case "html", "js", "urlquery":
		h := map[string]string{"html": "HTMLEscaper", "js": "JSEscaper", "urlquery": "URLQueryEscaper"}[name]
		g.helpers[h] = true
		exprs := make([]string, len(argv))
		for i, a := range argv {
			exprs[i] = g.anyExpr(a)
		}
		x := g.tmp()
		g.decl(fmt.Sprintf("%s%s(%s)", g.req.Prefix, h, strings.Join(exprs, ", ")), x)
		return value{x: x, t: types.Typ[types.String]}
	case "len":
		return g.builtinLen(argv[0])
	case "index":
		return g.builtinIndex(argv[0], argv[1:])
	case "slice":
		return g.builtinSlice(argv[0], argv[1:])
	case "eq", "ne", "lt", "le", "gt", "ge":
		return g.builtinCompare(name, argv)
	case "call":
		return g.builtinCall(args, final, argv)
	}
	g.refuse("builtin %s", name)
	return value{}
}

// bfail is the error of a builtin, as evalCall wraps it.
func (g *gen) bfail(name, msg string, args ...string) {
	g.fail("error calling "+pct(name)+": "+msg, args...)
}

// requireValid emits the failure for the invalid value (maybe) and returns the valid value.
func (g *gen) requireValid(v value, onInvalid func()) value {
	if v.t == nil {
		onInvalid()
	}
	if v.ok != "" {
		g.ifElse("!"+v.ok, onInvalid, nil)
		v.ok = ""
	}
	return v
}

// staticIndirect follows pointers like text/template's indirect, failing with msg on a nil one.
func (g *gen) staticIndirect(v value, fname, msg string) value {
	for {
		p, ok := v.t.Underlying().(*types.Pointer)
		if !ok {
			return v
		}
		if isInterface(p.Elem()) {
			g.refuse("%s through a pointer to an interface", fname)
		}
		x := g.tmp()
		g.decl(v.val(), x)
		g.failIf(x+" == nil", "error calling "+pct(fname)+": "+msg)
		v = value{x: x, t: p.Elem(), addr: true}
	}
}

func (g *gen) builtinLen(item value) value {
	item = g.requireValid(item, func() { g.bfail("len", "reflect: call of reflect.Value.Type on zero Value") })
	res := func(expr string) value {
		x := g.tmp()
		g.decl(expr, x)
		return value{x: x, t: types.Typ[types.Int]}
	}
	if item.dyn || isInterface(item.t) {
		if !item.dyn {
			g.failIf(item.val()+" == nil", "error calling len: len of nil pointer")
		} else {
			g.failIf(item.x+" == nil", "error calling len: reflect: call of reflect.Value.Type on zero Value")
		}
		g.helpers["length"] = true
		x, e := g.tmp(), g.tmp()
		g.decl(fmt.Sprintf("%slength(%s.ValueOf(%s))", g.req.Prefix, g.std("reflect"), item.val()), x, e)
		g.failIf(e+" != nil", "error calling len: %w", e)
		return value{x: x, t: types.Typ[types.Int]}
	}
	item = g.staticIndirect(item, "len", "len of nil pointer")
	if isInterface(item.t) {
		g.refuse("len through a pointer to an interface")
	}
	switch kindOf(item.t) {
	case kArray:
		return res(strconv.FormatInt(item.t.Underlying().(*types.Array).Len(), 10))
	case kChan, kMap, kSlice, kString:
		return res("len(" + item.val() + ")")
	}
	g.bfail("len", "len of type "+pct(reflectString(item.t)))
	panic("not reached")
}

// indexArg is text/template's indexArg: the index as an int64 variable, after its checks.
func (g *gen) indexArg(fname string, index value, capExpr string) string {
	index = g.requireValid(index, func() { g.bfail(fname, "cannot index slice/array with nil") })
	if index.dyn || isInterface(index.t) {
		g.refuse("%s with an index of interface type %s", fname, reflectString(index.t))
	}
	k := kindOf(index.t)
	if k != kInt && k != kUint {
		g.bfail(fname, "cannot index slice/array with type "+pct(reflectString(index.t)))
	}
	x := g.tmp()
	g.decl("int64("+index.val()+")", x)
	g.failIf(fmt.Sprintf("%s < 0 || int(%s) < 0 || int(%s) > %s", x, x, x, capExpr), "error calling "+pct(fname)+": index out of range: %d", x)
	return x
}

func (g *gen) indirectInterfaceStatic(fname string, v value) value {
	if v.dyn || (v.t != nil && isInterface(v.t)) {
		g.refuse("%s of a value of interface type %s: its dynamic type is not known statically", fname, reflectString(v.t))
	}
	return v
}

func (g *gen) builtinIndex(item value, indexes []value) value {
	item = g.indirectInterfaceStatic("index", item)
	item = g.requireValid(item, func() { g.bfail("index", "index of untyped nil") })
	for _, index := range indexes {
		index = g.indirectInterfaceStatic("index", index)
		item = g.staticIndirect(item, "index", "index of nil pointer")
		if isInterface(item.t) {
			g.refuse("index through a pointer to an interface")
		}
		switch u := item.t.Underlying().(type) {
		case *types.Slice, *types.Array, *types.Basic:
			k := kindOf(item.t)
			if k != kSlice && k != kArray && k != kString {
				g.bfail("index", "can't index item of type "+pct(reflectString(item.t)))
			}
			n := g.tmp()
			g.decl("len("+item.val()+")", n)
			x := g.indexArg("index", index, n)
			what := map[kind]string{kSlice: "slice", kArray: "array", kString: "string"}[k]
			g.failIf("int("+x+") == "+n, "error calling index: reflect: "+what+" index out of range")
			e := g.tmp()
			switch {
			case k == kSlice || (k == kArray && item.addr):
				g.decl(fmt.Sprintf("&%s[%s]", item.val(), x), e)
				item = value{x: e, t: elemOf(item.t), addr: true}
			case k == kArray:
				g.decl(fmt.Sprintf("%s[%s]", item.val(), x), e)
				item = value{x: e, t: elemOf(item.t)}
			default:
				g.decl(fmt.Sprintf("%s[%s]", item.val(), x), e)
				item = value{x: e, t: types.Typ[types.Uint8]}
			}
			_ = u
		case *types.Map:
			if isInterface(u.Key()) {
				g.refuse("index of a map with keys of interface type %s", reflectString(u.Key()))
			}
			key := g.prepareArg(index, u.Key(), func(msg string, args ...string) { g.bfail("index", msg, args...) })
			e := g.tmp()
			g.decl(fmt.Sprintf("%s[%s]", item.val(), key), e)
			item = value{x: e, t: u.Elem()}
		default:
			g.bfail("index", "can't index item of type "+pct(reflectString(item.t)))
		}
	}
	return item
}

func intLike(t types.Type) bool {
	k := kindOf(t)
	return k == kInt || k == kUint
}

// prepareArg is text/template's prepareArg: the Go expression of the argument as type t.
func (g *gen) prepareArg(v value, t types.Type, fail func(msg string, args ...string)) string {
	if v.t == nil {
		if !canBeNil(t) {
			fail("value is nil; should be of type " + pct(reflectString(t)))
		}
		return g.zero(t).x
	}
	if v.ok != "" {
		if !canBeNil(t) {
			g.ifElse("!"+v.ok, func() { fail("value is nil; should be of type " + pct(reflectString(t))) }, nil)
		} else {
			g.refuse("a missing map entry as an argument")
		}
	}
	if types.AssignableTo(v.t, t) {
		return v.val()
	}
	if intLike(v.t) && intLike(t) && types.ConvertibleTo(v.t, t) {
		return g.typeName(t) + "(" + v.val() + ")"
	}
	fail("value has type " + pct(reflectString(v.t)) + "; should be " + pct(reflectString(t)))
	panic("not reached")
}

func (g *gen) builtinSlice(item value, indexes []value) value {
	item = g.indirectInterfaceStatic("slice", item)
	item = g.requireValid(item, func() { g.bfail("slice", "slice of untyped nil") })
	if g.minor >= 26 {
		item = g.staticIndirect(item, "slice", "slice of nil pointer")
	}
	if len(indexes) > 3 {
		g.bfail("slice", fmt.Sprintf("too many slice indexes: %d", len(indexes)))
	}
	k := kindOf(item.t)
	var capExpr string
	switch k {
	case kString:
		if len(indexes) == 3 {
			g.bfail("slice", "cannot 3-index slice a string")
		}
		capExpr = "len(" + item.val() + ")"
	case kArray, kSlice:
		capExpr = "cap(" + item.val() + ")"
	default:
		g.bfail("slice", "can't slice item of type "+pct(reflectString(item.t)))
	}
	c := g.tmp()
	g.decl(capExpr, c)
	idx := []string{"0", "len(" + item.val() + ")"}
	for i, index := range indexes {
		index = g.indirectInterfaceStatic("slice", index)
		x := g.indexArg("slice", index, c)
		if i < len(idx) {
			idx[i] = "int(" + x + ")"
		} else {
			idx = append(idx, "int("+x+")")
		}
	}
	g.failIf(idx[0]+" > "+idx[1], "error calling slice: invalid slice index: %d > %d", idx[0], idx[1])
	if len(indexes) == 3 {
		g.failIf(idx[1]+" > "+idx[2], "error calling slice: invalid slice index: %d > %d", idx[1], idx[2])
	}
	if k == kArray && !item.addr {
		if len(indexes) == 3 {
			g.bfail("slice", "reflect.Value.Slice3: slice of unaddressable array")
		}
		g.bfail("slice", "reflect.Value.Slice: slice of unaddressable array")
	}
	x := g.tmp()
	g.decl(fmt.Sprintf("%s[%s]", item.val(), strings.Join(idx, ":")), x)
	t := item.t
	if k == kArray {
		t = types.NewSlice(elemOf(item.t))
	}
	return value{x: x, t: t}
}

// ---------------------------------------------------------------------------------------------------
// comparisons

func (g *gen) staticComparable(v value) bool {
	return v.t != nil && v.ok == "" && !v.dyn && !isInterface(v.t) && cmpKindOf(v.t) != ckInvalid
}

func (g *gen) incompatible(a, b types.Type) string {
	if g.minor < 25 {
		return "incompatible types for comparison"
	}
	return pct(fmt.Sprintf("incompatible types for comparison: %s and %s", reflectString(a), reflectString(b)))
}

// eqExpr is the Go expression of eq's test between two static basic values of comparable classes.
func eqExpr(k1, k2 cmpKind, a, b string) string {
	switch {
	case k1 == ckInt && k2 == ckUint:
		return fmt.Sprintf("(%s >= 0 && uint64(%s) == uint64(%s))", a, a, b)
	case k1 == ckUint && k2 == ckInt:
		return fmt.Sprintf("(%s >= 0 && uint64(%s) == uint64(%s))", b, a, b)
	}
	conv := map[cmpKind]string{ckBool: "bool", ckComplex: "complex128", ckFloat: "float64", ckInt: "int64", ckString: "string", ckUint: "uint64"}[k1]
	return fmt.Sprintf("%s(%s) == %s(%s)", conv, a, conv, b)
}

func (g *gen) builtinCompare(name string, argv []value) value {
	for _, a := range argv {
		if !g.staticComparable(a) {
			return g.dynamicCompare(name, argv)
		}
	}
	r := g.tmp()
	res := value{x: r, t: types.Typ[types.Bool]}
	switch name {
	case "eq", "ne":
		if len(argv) == 1 {
			g.bfail(name, "missing argument for comparison")
		}
		a := argv[0]
		k1 := cmpKindOf(a.t)
		g.emit("%s := false", r)
		var rec func(i int)
		rec = func(i int) {
			if i == len(argv) {
				return
			}
			b := argv[i]
			k2 := cmpKindOf(b.t)
			if k1 != k2 && !(k1 == ckInt && k2 == ckUint) && !(k1 == ckUint && k2 == ckInt) {
				g.bfail(name, g.incompatible(a.t, b.t))
			}
			g.emit("%s = %s", r, eqExpr(k1, k2, a.val(), b.val()))
			if i+1 < len(argv) {
				g.ifElse("!"+r, func() { rec(i + 1) }, nil)
			}
		}
		rec(1)
		if name == "ne" {
			g.emit("%s = !%s", r, r)
		}
		return res
	}
	a, b := argv[0], argv[1]
	k1, k2 := cmpKindOf(a.t), cmpKindOf(b.t)
	x, y := a.val(), b.val()
	var lt string
	switch {
	case k1 == ckInt && k2 == ckUint:
		lt = fmt.Sprintf("(%s < 0 || uint64(%s) < uint64(%s))", x, x, y)
	case k1 == ckUint && k2 == ckInt:
		lt = fmt.Sprintf("(%s >= 0 && uint64(%s) < uint64(%s))", y, x, y)
	case k1 != k2:
		g.bfail(name, g.incompatible(a.t, b.t))
	case k1 == ckBool || k1 == ckComplex:
		g.bfail(name, "invalid type for comparison")
	default:
		conv := map[cmpKind]string{ckFloat: "float64", ckInt: "int64", ckString: "string", ckUint: "uint64"}[k1]
		lt = fmt.Sprintf("%s(%s) < %s(%s)", conv, x, conv, y)
	}
	eq := eqExpr(k1, k2, x, y)
	switch name {
	case "lt":
		g.decl(lt, r)
	case "le":
		g.decl(lt+" || "+eq, r)
	case "gt":
		g.decl("!("+lt+" || "+eq+")", r)
	case "ge":
		g.decl("!("+lt+")", r)
	}
	return res
}

// rvExpr is the reflect.Value a builtin receives for v.
func (g *gen) rvExpr(v value) string {
	r := g.std("reflect")
	switch {
	case v.t == nil:
		return r + ".Value{}"
	case v.ok != "":
		x := g.tmp()
		g.emit("var %s %s.Value", x, r)
		g.emit("if %s {\n%s = %s.ValueOf(%s)\n}", v.ok, x, r, v.val())
		return x
	}
	return r + ".ValueOf(" + v.val() + ")"
}

// dynamicCompare calls the copy of text/template's comparison functions.
func (g *gen) dynamicCompare(name string, argv []value) value {
	for _, a := range argv {
		if a.t != nil && kindOf(a.t) == kUnsafePointer {
			g.refuse("comparing unsafe.Pointer values")
		}
	}
	g.helpers["compare"] = true
	g.helpers["recover"] = true
	exprs := make([]string, len(argv))
	for i, a := range argv {
		exprs[i] = g.rvExpr(a)
	}
	r, e, rn, en := g.tmp(), g.tmp(), g.tmp(), g.tmp()
	g.decl(fmt.Sprintf("func() (%s bool, %s error) {\ndefer %srecover(&%s)\nreturn %s%s(%s)\n}()", rn, en, g.req.Prefix, en, g.req.Prefix, name, strings.Join(exprs, ", ")), r, e)
	g.failIf(e+" != nil", "error calling "+name+": %w", e)
	return value{x: r, t: types.Typ[types.Bool]}
}

// ---------------------------------------------------------------------------------------------------
// call

func (g *gen) builtinCall(args []parse.Node, final value, argv []value) value {
	if g.minor < 23 {
		g.refuse("the call builtin: gotrim reproduces it from Go 1.23 on")
	}
	var calleeName string
	if len(args) == 0 {
		if g.minor < 24 {
			g.refuse("call with the function piped in: text/template %d.%d panics on it", 1, g.minor)
		}
		if final.t == nil {
			g.refuse("call of a piped invalid value")
		}
		calleeName = "<" + reflectString(final.t) + " Value>"
	} else {
		calleeName = args[0].String()
	}
	fn := g.indirectInterfaceStatic("call", argv[0])
	fn = g.requireValid(fn, func() { g.bfail("call", "call of nil") })
	sig, ok := fn.t.Underlying().(*types.Signature)
	if !ok {
		g.bfail("call", pct(fmt.Sprintf("non-function %s of type %s", calleeName, reflectString(fn.t))))
	}
	if msg := g.goodFunc(calleeName, sig); msg != "" {
		g.bfail("call", pct(msg))
	}
	rest := argv[1:]
	numIn := sig.Params().Len()
	if sig.Variadic() {
		if len(rest) < numIn-1 {
			g.bfail("call", pct(fmt.Sprintf("wrong number of args for %s: got %d want at least %d", calleeName, len(rest), numIn-1)))
		}
	} else if len(rest) != numIn {
		g.bfail("call", pct(fmt.Sprintf("wrong number of args for %s: got %d want %d", calleeName, len(rest), numIn)))
	}
	for i := 0; i < numIn; i++ {
		if isReflectValue(paramType(sig, i)) {
			g.refuse("call of a function that takes a reflect.Value")
		}
	}
	if isReflectValue(sig.Results().At(0).Type()) {
		g.refuse("call of a function that returns a reflect.Value")
	}
	exprs := make([]string, len(rest))
	for i, a := range rest {
		a = g.indirectInterfaceStatic("call", a)
		i := i
		exprs[i] = g.prepareArg(a, paramType(sig, i), func(msg string, xs ...string) {
			g.bfail("call", fmt.Sprintf("arg %d: ", i)+msg, xs...)
		})
	}
	f := g.tmp()
	g.decl(fn.val(), f)
	g.failIf(f+" == nil", "error calling call: reflect.Value.Call: call of nil function")
	return g.emitSafeCall(callee{sig: sig, fn: &Func{Name: f}}, "call", exprs)
}
