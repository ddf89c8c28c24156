package tmplgen

import (
	"go/token"
	"go/types"
	"strconv"
	"strings"
)

// kind is reflect.Kind computed from a go/types type.
type kind int

const (
	kInvalid kind = iota
	kBool
	kInt
	kUint
	kFloat
	kComplex
	kString
	kUnsafePointer
	kArray
	kChan
	kFunc
	kInterface
	kMap
	kPointer
	kSlice
	kStruct
)

func kindOf(t types.Type) kind {
	switch u := t.Underlying().(type) {
	case *types.Basic:
		switch {
		case u.Kind() == types.Bool:
			return kBool
		case u.Kind() == types.UnsafePointer:
			return kUnsafePointer
		case u.Info()&types.IsInteger != 0 && u.Info()&types.IsUnsigned != 0:
			return kUint
		case u.Info()&types.IsInteger != 0:
			return kInt
		case u.Info()&types.IsFloat != 0:
			return kFloat
		case u.Info()&types.IsComplex != 0:
			return kComplex
		case u.Info()&types.IsString != 0:
			return kString
		}
	case *types.Array:
		return kArray
	case *types.Chan:
		return kChan
	case *types.Signature:
		return kFunc
	case *types.Interface:
		return kInterface
	case *types.Map:
		return kMap
	case *types.Pointer:
		return kPointer
	case *types.Slice:
		return kSlice
	case *types.Struct:
		return kStruct
	}
	return kInvalid
}

// basicKind is text/template's basicKind: the comparison class of a value.
type cmpKind int

const (
	ckInvalid cmpKind = iota
	ckBool
	ckComplex
	ckInt
	ckFloat
	ckString
	ckUint
)

func cmpKindOf(t types.Type) cmpKind {
	switch kindOf(t) {
	case kBool:
		return ckBool
	case kInt:
		return ckInt
	case kUint:
		return ckUint
	case kFloat:
		return ckFloat
	case kComplex:
		return ckComplex
	case kString:
		return ckString
	}
	return ckInvalid
}

func isInterface(t types.Type) bool {
	_, ok := t.Underlying().(*types.Interface)
	return ok
}

func isEmptyInterface(t types.Type) bool {
	it, ok := t.Underlying().(*types.Interface)
	return ok && it.NumMethods() == 0
}

func elemOf(t types.Type) types.Type {
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		return u.Elem()
	case *types.Slice:
		return u.Elem()
	case *types.Array:
		return u.Elem()
	case *types.Map:
		return u.Elem()
	case *types.Chan:
		return u.Elem()
	}
	return nil
}

// canBeNil is text/template's canBeNil (reflect.Value is handled by the caller).
func canBeNil(t types.Type) bool {
	switch kindOf(t) {
	case kChan, kFunc, kInterface, kMap, kPointer, kSlice:
		return true
	}
	return false
}

var (
	errorIface    = types.Universe.Lookup("error").Type().Underlying().(*types.Interface)
	stringerIface = types.NewInterfaceType([]*types.Func{
		types.NewFunc(token.NoPos, nil, "String", types.NewSignatureType(nil, nil, nil, nil,
			types.NewTuple(types.NewVar(token.NoPos, nil, "", types.Typ[types.String])), false)),
	}, nil).Complete()
	errorType = types.Universe.Lookup("error").Type()
)

// printsViaMethod reports whether fmt would see an error or Stringer (reflect's Implements).
func printsViaMethod(t types.Type) bool {
	return types.Implements(t, errorIface) || types.Implements(t, stringerIface)
}

// reflectString is reflect.Type.String() for t.
func reflectString(t types.Type) string {
	switch t := t.(type) {
	case *types.Named:
		obj := t.Obj()
		name := obj.Name()
		if obj.Pkg() != nil {
			name = obj.Pkg().Name() + "." + name
		}
		if args := t.TypeArgs(); args != nil && args.Len() > 0 {
			parts := make([]string, args.Len())
			for i := range parts {
				parts[i] = reflectTypeArg(args.At(i))
			}
			name += "[" + strings.Join(parts, ",") + "]"
		}
		return name
	case *types.Alias:
		return reflectString(types.Unalias(t))
	case *types.Basic:
		switch t.Kind() {
		case types.Byte:
			return "uint8"
		case types.Rune:
			return "int32"
		case types.UnsafePointer:
			return "unsafe.Pointer"
		}
		return t.Name()
	case *types.Pointer:
		return "*" + reflectString(t.Elem())
	case *types.Slice:
		return "[]" + reflectString(t.Elem())
	case *types.Array:
		return "[" + strconv.FormatInt(t.Len(), 10) + "]" + reflectString(t.Elem())
	case *types.Map:
		return "map[" + reflectString(t.Key()) + "]" + reflectString(t.Elem())
	case *types.Chan:
		elem := reflectString(t.Elem())
		switch t.Dir() {
		case types.SendOnly:
			return "chan<- " + elem
		case types.RecvOnly:
			return "<-chan " + elem
		}
		if c, ok := t.Elem().(*types.Chan); ok && c.Dir() == types.RecvOnly {
			return "chan (" + elem + ")"
		}
		return "chan " + elem
	case *types.Signature:
		var b strings.Builder
		b.WriteString("func(")
		for i := 0; i < t.Params().Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			pt := t.Params().At(i).Type()
			if t.Variadic() && i == t.Params().Len()-1 {
				b.WriteString("...")
				pt = pt.(*types.Slice).Elem()
			}
			b.WriteString(reflectString(pt))
		}
		b.WriteString(")")
		switch n := t.Results().Len(); n {
		case 0:
		case 1:
			b.WriteString(" " + reflectString(t.Results().At(0).Type()))
		default:
			b.WriteString(" (")
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				b.WriteString(reflectString(t.Results().At(i).Type()))
			}
			b.WriteString(")")
		}
		return b.String()
	case *types.Struct:
		if t.NumFields() == 0 {
			return "struct {}"
		}
		var b strings.Builder
		b.WriteString("struct {")
		for i := 0; i < t.NumFields(); i++ {
			if i > 0 {
				b.WriteString(";")
			}
			f := t.Field(i)
			b.WriteString(" ")
			if !f.Embedded() {
				b.WriteString(f.Name() + " ")
			}
			b.WriteString(reflectString(f.Type()))
			if tag := t.Tag(i); tag != "" {
				b.WriteString(" " + strconv.Quote(tag))
			}
		}
		b.WriteString(" }")
		return b.String()
	case *types.Interface:
		if t.NumMethods() == 0 {
			return "interface {}"
		}
		var b strings.Builder
		b.WriteString("interface {")
		for i := 0; i < t.NumMethods(); i++ {
			if i > 0 {
				b.WriteString(";")
			}
			m := t.Method(i)
			b.WriteString(" " + m.Name() + strings.TrimPrefix(reflectString(m.Type()), "func"))
		}
		b.WriteString(" }")
		return b.String()
	}
	return t.String()
}

// reflectTypeArg spells a type argument as the linker names it: with the full package path.
func reflectTypeArg(t types.Type) string {
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && (n.TypeArgs() == nil || n.TypeArgs().Len() == 0) {
		return n.Obj().Pkg().Path() + "." + n.Obj().Name()
	}
	return reflectString(t)
}

// methodSets caches method sets by type.
type methodSets struct {
	m map[types.Type]*types.MethodSet
}

// lookup is reflect's MethodByName on a value of type t: exported methods of t's method set.
func (ms *methodSets) lookup(t types.Type, name string) *types.Selection {
	if !token.IsExported(name) {
		return nil
	}
	if ms.m == nil {
		ms.m = map[types.Type]*types.MethodSet{}
	}
	for k, set := range ms.m {
		if types.Identical(k, t) {
			return set.Lookup(nil, name)
		}
	}
	set := types.NewMethodSet(t)
	ms.m[t] = set
	return set.Lookup(nil, name)
}

// fieldStep is one field selection on the path of a (possibly promoted) struct field.
type fieldStep struct {
	field *types.Var
	// throughPtr: the struct holding this field is reached through an embedded pointer (the
	// previous step's field is a pointer to struct).
	throughPtr bool
}

// fieldByName is reflect.Type.FieldByName: the unique shallowest field of that name, searching
// embedded structs (and pointers to structs) breadth first; ambiguity at a depth hides the name.
func fieldByName(t types.Type, name string) ([]fieldStep, bool) {
	st, ok := t.Underlying().(*types.Struct)
	if !ok {
		return nil, false
	}
	hasEmbeds := false
	for i := 0; i < st.NumFields(); i++ {
		f := st.Field(i)
		if f.Name() == name {
			return []fieldStep{{field: f}}, true
		}
		if f.Embedded() {
			hasEmbeds = true
		}
	}
	if !hasEmbeds {
		return nil, false
	}
	type scan struct {
		typ  *types.Struct
		path []fieldStep
	}
	var current []scan
	next := []scan{{typ: st}}
	var nextCount map[*types.Struct]int
	visited := map[*types.Struct]bool{}
	var result []fieldStep
	found := false
	for len(next) > 0 {
		current, next = next, nil
		count := nextCount
		nextCount = nil
		for _, sc := range current {
			if visited[sc.typ] {
				continue
			}
			visited[sc.typ] = true
			for i := 0; i < sc.typ.NumFields(); i++ {
				f := sc.typ.Field(i)
				var ntyp types.Type
				if f.Embedded() {
					ntyp = f.Type()
					if p, ok := ntyp.Underlying().(*types.Pointer); ok {
						ntyp = p.Elem()
					}
				}
				if f.Name() == name {
					if count[sc.typ] > 1 || found {
						return nil, false
					}
					result = append(append([]fieldStep(nil), sc.path...), fieldStep{field: f})
					found = true
					continue
				}
				if found || ntyp == nil {
					continue
				}
				nst, ok := ntyp.Underlying().(*types.Struct)
				if !ok {
					continue
				}
				if nextCount[nst] > 0 {
					nextCount[nst] = 2
					continue
				}
				if nextCount == nil {
					nextCount = map[*types.Struct]int{}
				}
				nextCount[nst] = 1
				if count[sc.typ] > 1 {
					nextCount[nst] = 2
				}
				path := append(append([]fieldStep(nil), sc.path...), fieldStep{field: f})
				next = append(next, scan{typ: nst, path: path})
			}
		}
		if found {
			break
		}
	}
	if !found {
		return nil, false
	}
	// Mark the steps that go through an embedded pointer.
	for i := 1; i < len(result); i++ {
		if _, ok := result[i-1].field.Type().Underlying().(*types.Pointer); ok {
			result[i].throughPtr = true
		}
	}
	return result, true
}
