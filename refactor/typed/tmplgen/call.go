package tmplgen

import (
	"bytes"
	"fmt"
	"go/token"
	"go/types"
	"math"
	"regexp"
	"strconv"
	"strings"
	"text/template/parse"
)

// callee is what evalCall calls: a module function, a method, an html/template escaper or a builtin.
type callee struct {
	sig     *types.Signature
	fn      *Func
	html    string // helper implementing an html/template escaper
	builtin string
	method  *types.Selection
	recv    string     // receiver expression (a value, or a pointer for pointer method sets)
	recvTyp types.Type // set with maybeNil: the receiver's pointer type
	// maybeNil: recv is a pointer that may be nil; the call must go through the method value of the
	// pointer type, as reflect does (a value method then panics in the compiler's wrapper).
	maybeNil bool
}

func isReflectValue(t types.Type) bool {
	n, ok := t.(*types.Named)
	return ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "reflect" && n.Obj().Name() == "Value"
}

func anyVariadicString() *types.Signature {
	return types.NewSignatureType(nil, nil, nil,
		types.NewTuple(types.NewVar(token.NoPos, nil, "args", types.NewSlice(types.NewInterfaceType(nil, nil).Complete()))),
		types.NewTuple(types.NewVar(token.NoPos, nil, "", types.Typ[types.String])), true)
}

// builtinSig is the signature of text/template's builtin, with g.rv standing for reflect.Value.
func (g *gen) builtinSig(name string) *types.Signature {
	rv := g.rv
	v := func(t types.Type) *types.Var { return types.NewVar(token.NoPos, nil, "", t) }
	tuple := func(ts ...types.Type) *types.Tuple {
		vs := make([]*types.Var, len(ts))
		for i, t := range ts {
			vs[i] = v(t)
		}
		return types.NewTuple(vs...)
	}
	sig := func(params, results *types.Tuple, variadic bool) *types.Signature {
		return types.NewSignatureType(nil, nil, nil, params, results, variadic)
	}
	anyS := types.NewSlice(g.anyT)
	str, boolT, intT := types.Typ[types.String], types.Typ[types.Bool], types.Typ[types.Int]
	switch name {
	case "and", "or":
		return sig(tuple(rv, types.NewSlice(rv)), tuple(rv), true)
	case "call":
		if g.minor < 23 {
			return sig(tuple(rv, types.NewSlice(rv)), tuple(rv, errorType), true)
		}
		return sig(tuple(rv, types.NewSlice(rv)), tuple(rv), true)
	case "html", "js", "urlquery", "print", "println":
		return sig(tuple(anyS), tuple(str), true)
	case "printf":
		return sig(tuple(str, anyS), tuple(str), true)
	case "index", "slice":
		return sig(tuple(rv, types.NewSlice(rv)), tuple(rv, errorType), true)
	case "len":
		return sig(tuple(rv), tuple(intT, errorType), false)
	case "not":
		return sig(tuple(rv), tuple(boolT), false)
	case "eq":
		return sig(tuple(rv, types.NewSlice(rv)), tuple(boolT, errorType), true)
	case "ne", "lt", "le", "gt", "ge":
		return sig(tuple(rv, rv), tuple(boolT, errorType), false)
	}
	return nil
}

// goodFunc is text/template's result check; it returns the error message, or "".
func (g *gen) goodFunc(name string, sig *types.Signature) string {
	res := sig.Results()
	switch n := res.Len(); {
	case n == 1:
		return ""
	case n == 2 && types.Identical(res.At(1).Type(), errorType):
		return ""
	case g.minor < 23:
		return fmt.Sprintf("can't call method/function %q with %d results", name, n)
	case n == 2:
		return fmt.Sprintf("invalid function signature for %s: second return value should be error; is %s", name, reflectString(res.At(1).Type()))
	default:
		return fmt.Sprintf("function %s has %d return values; should be 1 or 2", name, n)
	}
}

func (g *gen) evalCall(dot value, fn callee, node parse.Node, name string, args []parse.Node, final value) value {
	if args != nil {
		args = args[1:]
	}
	sig := fn.sig
	nParams := sig.Params().Len()
	numIn := len(args)
	if !final.missing {
		numIn++
	}
	numFixed := len(args)
	if sig.Variadic() {
		numFixed = nParams - 1
		if numIn < numFixed {
			g.fail(fmt.Sprintf("wrong number of args for %s: want at least %d got %d", pct(name), nParams-1, len(args)))
		}
	} else if numIn != nParams {
		g.fail(fmt.Sprintf("wrong number of args for %s: want %d got %d", pct(name), nParams, numIn))
	}
	if msg := g.goodFunc(name, sig); msg != "" {
		g.fail(pct(msg))
	}
	if fn.builtin == "" && fn.html == "" {
		for i := 0; i < nParams; i++ {
			if isReflectValue(sig.Params().At(i).Type()) || (sig.Variadic() && i == nParams-1 && isReflectValue(elemOf(sig.Params().At(i).Type()))) {
				g.refuse("function %s takes a reflect.Value", name)
			}
		}
		if isReflectValue(sig.Results().At(0).Type()) {
			g.refuse("function %s returns a reflect.Value", name)
		}
	}
	if fn.builtin == "and" || fn.builtin == "or" {
		return g.evalAndOr(dot, fn.builtin, node, args, final)
	}
	argv := make([]value, numIn)
	i := 0
	for ; i < numFixed && i < len(args); i++ {
		argv[i] = g.evalArg(dot, sig.Params().At(i).Type(), args[i])
	}
	if sig.Variadic() {
		argType := elemOf(sig.Params().At(nParams - 1).Type())
		for ; i < len(args); i++ {
			argv[i] = g.evalArg(dot, argType, args[i])
		}
	}
	if !final.missing {
		t := sig.Params().At(nParams - 1).Type()
		if sig.Variadic() {
			if numIn-1 < numFixed {
				t = sig.Params().At(numIn - 1).Type()
			} else {
				t = elemOf(t)
			}
		}
		argv[i] = g.validateType(final, t)
	}
	// text/template moves to the call's node only to report "error calling": the node of later
	// errors stays the last one evaluated.
	saved := g.fn.callNode
	g.fn.callNode = node
	defer func() { g.fn.callNode = saved }()
	if fn.builtin != "" {
		return g.evalBuiltin(fn.builtin, node, name, args, final, argv)
	}
	// Arguments as Go expressions of the parameter types.
	exprs := make([]string, len(argv))
	for k, a := range argv {
		pt := paramType(sig, k)
		if isEmptyInterface(pt) {
			exprs[k] = g.anyExpr(a)
		} else {
			exprs[k] = a.val()
		}
	}
	if fn.html != "" {
		for k, a := range argv {
			g.checkHTMLArg(name, k, a)
		}
		g.helpers[fn.html] = true
		x := g.tmp()
		g.decl(fmt.Sprintf("%s%s(%s)", g.req.Prefix, fn.html, strings.Join(exprs, ", ")), x)
		return value{x: x, t: types.Typ[types.String]}
	}
	return g.emitSafeCall(fn, name, exprs)
}

// paramType is the type of argument k of a call (the element type for variadic arguments).
func paramType(sig *types.Signature, k int) types.Type {
	n := sig.Params().Len()
	if sig.Variadic() && k >= n-1 {
		return elemOf(sig.Params().At(n - 1).Type())
	}
	return sig.Params().At(k).Type()
}

// callExpr spells the call of a module function or method.
func (g *gen) callExpr(fn callee, exprs []string) string {
	args := strings.Join(exprs, ", ")
	switch {
	case fn.fn != nil && fn.fn.Expr != "":
		for _, im := range fn.fn.Imports {
			g.importAs(im.Path, im.Name)
		}
		return "(" + fn.fn.Expr + ")(" + args + ")"
	case fn.fn != nil:
		if fn.fn.Pkg == "" {
			return fn.fn.Name + "(" + args + ")"
		}
		if q := g.importPkg(fn.fn.Pkg, ""); q != "" {
			return q + "." + fn.fn.Name + "(" + args + ")"
		}
		return fn.fn.Name + "(" + args + ")"
	case fn.method != nil:
		mname := fn.method.Obj().Name()
		if fn.maybeNil {
			recvSig := fn.method.Obj().Type().(*types.Signature)
			_, ptrRecv := recvSig.Recv().Type().Underlying().(*types.Pointer)
			if !ptrRecv || len(fn.method.Index()) > 1 {
				all := fn.recv
				if args != "" {
					all += ", " + args
				}
				return "(" + g.typeName(fn.recvTyp) + ")." + mname + "(" + all + ")"
			}
		}
		return fn.recv + "." + mname + "(" + args + ")"
	}
	panic("tmplgen: callExpr without callee")
}

// emitSafeCall calls a module function or method the way safeCall does: a panic becomes the error.
func (g *gen) emitSafeCall(fn callee, name string, exprs []string) value {
	sig := fn.sig
	call := g.callExpr(fn, exprs)
	rt := sig.Results().At(0).Type()
	g.helpers["recover"] = true
	r, e := g.tmp(), g.tmp()
	rn, en := g.tmp(), g.tmp()
	var body string
	if sig.Results().Len() == 2 {
		body = fmt.Sprintf("%s, %s = %s", rn, en, call)
	} else {
		body = fmt.Sprintf("%s = %s", rn, call)
	}
	g.decl(fmt.Sprintf("func() (%s %s, %s error) {\ndefer %srecover(&%s)\n%s\nreturn\n}()", rn, g.typeName(rt), en, g.req.Prefix, en, body), r, e)
	g.failIf(e+" != nil", fmt.Sprintf("error calling %s: %%w", pct(name)), e)
	return value{x: r, t: rt}
}

// anyExpr is the value as an interface{} argument: validateType gives the zero (nil) for an invalid value.
func (g *gen) anyExpr(v value) string {
	switch {
	case v.t == nil:
		return "nil"
	case v.ok != "":
		x := g.tmp()
		g.emit("var %s interface{}", x)
		g.emit("if %s {\n%s = %s\n}", v.ok, x, v.val())
		return x
	}
	return v.val()
}

func (g *gen) evalArg(dot value, typ types.Type, n parse.Node) value {
	g.at(n)
	missing := value{missing: true}
	switch arg := n.(type) {
	case *parse.DotNode:
		return g.validateType(dot, typ)
	case *parse.NilNode:
		if typ == g.rv {
			return value{}
		}
		if typ != nil && canBeNil(typ) {
			return g.zero(typ)
		}
		if typ == nil {
			g.refuse("nil where text/template has no type")
		}
		g.fail(fmt.Sprintf("cannot assign nil to %s", pct(reflectString(typ))))
	case *parse.FieldNode:
		return g.validateType(g.evalFieldNode(dot, arg, []parse.Node{n}, missing), typ)
	case *parse.VariableNode:
		return g.validateType(g.evalVariableNode(dot, arg, nil, missing), typ)
	case *parse.PipeNode:
		return g.validateType(g.evalPipeline(dot, arg), typ)
	case *parse.IdentifierNode:
		return g.validateType(g.evalFunction(dot, arg, arg, nil, missing), typ)
	case *parse.ChainNode:
		return g.validateType(g.evalChainNode(dot, arg, nil, missing), typ)
	}
	if typ == nil {
		g.refuse("a constant where text/template has no type")
	}
	if typ == g.rv {
		return g.evalEmptyInterface(dot, n)
	}
	switch kindOf(typ) {
	case kBool:
		if b, ok := n.(*parse.BoolNode); ok {
			return g.typedConst(typ, strconv.FormatBool(b.True))
		}
		g.fail(fmt.Sprintf("expected bool; found %s", pct(n.String())))
	case kComplex:
		g.refuse("a constant argument of complex type %s", reflectString(typ))
	case kFloat:
		if num, ok := n.(*parse.NumberNode); ok && num.IsFloat {
			f := num.Float64
			bits := 64
			if typ.Underlying().(*types.Basic).Kind() == types.Float32 {
				f = float64(float32(f))
				bits = 32
			}
			if math.IsInf(f, 0) {
				g.refuse("the constant %s overflows %s", num.Text, reflectString(typ))
			}
			lit := strconv.FormatFloat(f, 'g', -1, bits)
			return g.typedConst(typ, lit)
		}
		g.fail(fmt.Sprintf("expected float; found %s", pct(n.String())))
	case kInt:
		if num, ok := n.(*parse.NumberNode); ok && num.IsInt {
			return g.typedConst(typ, g.truncInt(typ, num.Int64, num.Text))
		}
		g.fail(fmt.Sprintf("expected integer; found %s", pct(n.String())))
	case kInterface:
		if isEmptyInterface(typ) {
			return g.evalEmptyInterface(dot, n)
		}
	case kString:
		if s, ok := n.(*parse.StringNode); ok {
			return g.typedConst(typ, strconv.Quote(s.Text))
		}
		g.fail(fmt.Sprintf("expected string; found %s", pct(n.String())))
	case kUint:
		if num, ok := n.(*parse.NumberNode); ok && num.IsUint {
			return g.typedConst(typ, g.truncUint(typ, num.Uint64, num.Text))
		}
		g.fail(fmt.Sprintf("expected unsigned integer; found %s", pct(n.String())))
	}
	g.fail(fmt.Sprintf("can't handle %s for arg of type %s", pct(n.String()), pct(reflectString(typ))))
	panic("not reached")
}

// truncInt is reflect's SetInt: the constant truncated to the size of typ.
func (g *gen) truncInt(typ types.Type, v int64, text string) string {
	switch typ.Underlying().(*types.Basic).Kind() {
	case types.Int8:
		return strconv.FormatInt(int64(int8(v)), 10)
	case types.Int16:
		return strconv.FormatInt(int64(int16(v)), 10)
	case types.Int32:
		return strconv.FormatInt(int64(int32(v)), 10)
	case types.Int64:
		return strconv.FormatInt(v, 10)
	}
	if v > math.MaxInt32 || v < math.MinInt32 {
		g.refuse("the constant %s does not fit a 32-bit int: the result depends on GOARCH", text)
	}
	return strconv.FormatInt(v, 10)
}

func (g *gen) truncUint(typ types.Type, v uint64, text string) string {
	switch typ.Underlying().(*types.Basic).Kind() {
	case types.Uint8:
		return strconv.FormatUint(uint64(uint8(v)), 10)
	case types.Uint16:
		return strconv.FormatUint(uint64(uint16(v)), 10)
	case types.Uint32:
		return strconv.FormatUint(uint64(uint32(v)), 10)
	case types.Uint64:
		return strconv.FormatUint(v, 10)
	}
	if v > math.MaxUint32 {
		g.refuse("the constant %s does not fit a 32-bit uint: the result depends on GOARCH", text)
	}
	return strconv.FormatUint(v, 10)
}

func (g *gen) typedConst(typ types.Type, lit string) value {
	x := g.tmp()
	g.decl(g.typeName(typ)+"("+lit+")", x)
	return value{x: x, t: typ}
}

// zero is reflect.Zero(typ) as a variable.
func (g *gen) zero(typ types.Type) value {
	x := g.tmp()
	g.declVar(x, typ)
	return value{x: x, t: typ}
}

func (g *gen) evalEmptyInterface(dot value, n parse.Node) value {
	g.at(n)
	missing := value{missing: true}
	switch n := n.(type) {
	case *parse.BoolNode:
		return g.constant(strconv.FormatBool(n.True), types.Typ[types.Bool])
	case *parse.DotNode:
		return dot
	case *parse.FieldNode:
		return g.evalFieldNode(dot, n, nil, missing)
	case *parse.IdentifierNode:
		return g.evalFunction(dot, n, n, nil, missing)
	case *parse.NilNode:
		g.fail("evalEmptyInterface: nil (can't happen)")
	case *parse.NumberNode:
		return g.idealConstant(n)
	case *parse.StringNode:
		return g.constant(strconv.Quote(n.Text), types.Typ[types.String])
	case *parse.VariableNode:
		return g.evalVariableNode(dot, n, nil, missing)
	case *parse.PipeNode:
		return g.evalPipeline(dot, n)
	}
	g.fail(fmt.Sprintf("can't handle assignment of %s to empty interface argument", pct(n.String())))
	panic("not reached")
}

// validateType is text/template's validateType for a statically typed value.
func (g *gen) validateType(v value, typ types.Type) value {
	if typ == nil || typ == g.rv {
		return v
	}
	if v.t == nil {
		if canBeNil(typ) {
			return g.zero(typ)
		}
		g.fail(fmt.Sprintf("invalid value; expected %s", pct(reflectString(typ))))
	}
	if v.ok != "" {
		vv := v
		vv.ok = ""
		if !canBeNil(typ) {
			g.failIf("!"+v.ok, fmt.Sprintf("invalid value; expected %s", pct(reflectString(typ))))
			return g.validateType(vv, typ)
		}
		// Where the value is missing, the argument is reflect.Zero(typ).
		x := g.tmp()
		g.declVar(x, typ)
		g.ifElse(v.ok, func() {
			r := g.validateType(vv, typ)
			g.emit("%s = %s", x, r.val())
		}, nil)
		return value{x: x, t: typ, orig: v.t}
	}
	if v.dyn {
		if isEmptyInterface(typ) || (isInterface(typ) && types.AssignableTo(v.t, typ)) {
			return v
		}
		g.refuse("a value of interface type %s passed as %s: its dynamic type is not known statically", reflectString(v.t), reflectString(typ))
	}
	if types.AssignableTo(v.t, typ) {
		return v
	}
	if isInterface(v.t) {
		g.refuse("a value of interface type %s passed as %s: its dynamic type is not known statically", reflectString(v.t), reflectString(typ))
	}
	if p, ok := v.t.Underlying().(*types.Pointer); ok && types.AssignableTo(p.Elem(), typ) {
		x := g.tmp()
		g.decl(v.val(), x)
		g.failIf(x+" == nil", fmt.Sprintf("dereference of nil pointer of type %s", pct(reflectString(typ))))
		return value{x: x, t: p.Elem(), addr: true}
	}
	if v.addr && types.AssignableTo(types.NewPointer(v.t), typ) {
		return value{x: v.x, t: types.NewPointer(v.t)}
	}
	g.fail(fmt.Sprintf("wrong type for value; expected %s; got %s", pct(reflectString(typ)), pct(reflectString(v.t))))
	panic("not reached")
}

// ---------------------------------------------------------------------------------------------------
// and, or

var assignMark = regexp.MustCompile(`(?m)^//tmplgen:assign (\d+)\n`)

func (g *gen) evalAndOr(dot value, name string, node parse.Node, args []parse.Node, final value) value {
	or := name == "or"
	var arms []value
	saved := g.fn.out
	g.fn.out = &bytes.Buffer{}
	var rec func(i int)
	assign := func(v value) {
		arms = append(arms, v)
		g.emit("//tmplgen:assign %d", len(arms)-1)
	}
	rec = func(i int) {
		if i == len(args) {
			if !final.missing {
				assign(final)
			}
			return
		}
		v := g.evalArg(dot, g.rv, args[i])
		if i == len(args)-1 && final.missing {
			assign(v)
			return
		}
		t := g.truth(v, false)
		cond := "!(" + t + ")"
		if or {
			cond = t
		}
		g.ifElse(cond, func() { assign(v) }, func() { rec(i + 1) })
	}
	term := g.body(func() { rec(0) })
	code := g.fn.out.String()
	g.fn.out = saved
	if term && len(arms) == 0 {
		g.emit("%s", code)
		panic(deadEnd{})
	}
	// Unify the arms.
	var base *value
	same := true
	anyInvalid := false
	for k := range arms {
		a := arms[k]
		if a.t == nil {
			anyInvalid = true
			continue
		}
		if a.ok != "" {
			anyInvalid = true
		}
		if base == nil {
			base = &arms[k]
			continue
		}
		if !types.Identical(base.t, a.t) || base.addr != a.addr || base.dyn != a.dyn {
			same = false
		}
	}
	r, rok := g.tmp(), g.tmp()
	var res value
	switch {
	case base == nil:
		code = assignMark.ReplaceAllString(code, "")
		g.emit("%s", code)
		if term {
			panic(deadEnd{})
		}
		return value{}
	case same:
		vt := base.t
		if base.addr {
			vt = types.NewPointer(base.t)
		}
		g.declVar(r, vt)
		res = value{x: r, t: base.t, addr: base.addr, dyn: base.dyn}
	default:
		for _, a := range arms {
			if a.t != nil && a.addr && !printsViaMethod(a.t) && printsViaMethod(types.NewPointer(a.t)) {
				g.refuse("%s of values of different types, one of which prints through a pointer method", name)
			}
			if a.t != nil && !a.dyn && isInterface(a.t) && !isEmptyInterface(a.t) {
				g.refuse("%s of values of different types, one of interface type %s", name, reflectString(a.t))
			}
		}
		g.declVar(r, g.anyT)
		res = value{x: r, t: g.anyT, dyn: true}
		anyInvalid = false // nil is the invalid value of a dynamic value
	}
	if anyInvalid {
		g.emit("%s := false", rok)
		g.emit("_ = %s", rok)
		res.ok = rok
	}
	code = assignMark.ReplaceAllStringFunc(code, func(m string) string {
		k, _ := strconv.Atoi(assignMark.FindStringSubmatch(m)[1])
		a := arms[k]
		var b strings.Builder
		if a.t == nil {
			return ""
		}
		var expr string
		if same {
			expr = a.x
		} else {
			expr = a.val()
		}
		if a.ok != "" {
			fmt.Fprintf(&b, "if %s {\n%s = %s\n", a.ok, r, expr)
			if res.ok != "" {
				fmt.Fprintf(&b, "%s = true\n", rok)
			}
			b.WriteString("}\n")
			return b.String()
		}
		fmt.Fprintf(&b, "%s = %s\n", r, expr)
		if res.ok != "" {
			fmt.Fprintf(&b, "%s = true\n", rok)
		}
		return b.String()
	})
	g.emit("%s", code)
	if term {
		panic(deadEnd{})
	}
	return res
}
