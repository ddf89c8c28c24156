package tmplgen

import (
	"go/types"
	"sort"
	"text/template/parse"
)

// MethodCall is an action of a template that may call a method: a field name of the template that
// is the name of an exported method of a type the data can reach.
type MethodCall struct {
	Template string // the template the action is in
	Pos      string // "parsename:line:col"
	Action   string // the node's text
	Name     string // the field name, e.g. "Greeting"
	Types    []string
}

// Methods lists the actions of the request's template set that may call a method, for a caller that
// replaces text/template by a copy without method calls (the method-free fork): a name is reported
// when an exported method of that name belongs to a type that the data (or a function result) can
// reach through fields, elements, keys, pointers and method results. Unknown is non-empty when values
// of interface type are reached and a name is neither such a method nor a field or map key: the
// dynamic type behind the interface could have a method of that name.
//
// Every template of the set is scanned, not only those Entry reaches: {{template}} names can be
// computed only by the parser, and an unused definition costs nothing to check.
func Methods(req Request) (calls []MethodCall, unknown string, err error) {
	if req.Data == nil {
		return nil, "", &Refusal{Reason: "the data's type is not known"}
	}
	set, err := loadSet(&req)
	if err != nil {
		return nil, "", err
	}
	roots := []types.Type{req.Data}
	for _, f := range req.Funcs {
		if f.Sig != nil {
			for i := 0; i < f.Sig.Results().Len(); i++ {
				roots = append(roots, f.Sig.Results().At(i).Type())
			}
		}
	}
	r := newReach()
	for _, t := range roots {
		r.walk(t)
	}
	names := make([]string, 0, len(set.trees))
	for n := range set.trees {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		tree := set.trees[name]
		if tree == nil || tree.Root == nil {
			continue
		}
		visitFields(tree.Root, func(n parse.Node, field string) {
			if owners := r.methods[field]; len(owners) > 0 {
				loc, ctx := tree.ErrorContext(n)
				calls = append(calls, MethodCall{Template: name, Pos: loc, Action: ctx, Name: field, Types: sortedKeys(owners)})
				return
			}
			if unknown == "" && len(r.opaque) > 0 && !r.fields[field] && !r.stringMaps {
				loc, ctx := tree.ErrorContext(n)
				unknown = "values of interface type " + sortedKeys(r.opaque)[0] + " reach the template, and " +
					field + " (" + loc + " <" + ctx + ">) is no field of a known type: it may be a method of the dynamic type"
			}
		})
	}
	return calls, unknown, nil
}

// reach collects the types a template's data can reach.
type reach struct {
	seen       map[types.Type]bool
	methods    map[string]map[string]bool // exported method name -> types declaring it
	fields     map[string]bool            // exported field names
	opaque     map[string]bool            // interface types reached (their dynamic types are unknown)
	stringMaps bool                       // a map with string keys is reached: any name can be a key
}

func newReach() *reach {
	return &reach{seen: map[types.Type]bool{}, methods: map[string]map[string]bool{}, fields: map[string]bool{},
		opaque: map[string]bool{}}
}

func (r *reach) walk(t types.Type) {
	if t == nil || r.seen[t] {
		return
	}
	r.seen[t] = true
	if _, ok := t.(*types.Named); ok {
		for _, mt := range []types.Type{t, types.NewPointer(t)} {
			ms := types.NewMethodSet(mt)
			for i := 0; i < ms.Len(); i++ {
				m := ms.At(i).Obj()
				if !m.Exported() {
					continue
				}
				if r.methods[m.Name()] == nil {
					r.methods[m.Name()] = map[string]bool{}
				}
				r.methods[m.Name()][reflectString(t)] = true
				if sig, ok := m.Type().(*types.Signature); ok {
					for j := 0; j < sig.Results().Len(); j++ {
						r.walk(sig.Results().At(j).Type())
					}
				}
			}
		}
	}
	switch u := t.Underlying().(type) {
	case *types.Pointer:
		r.walk(u.Elem())
	case *types.Slice:
		r.walk(u.Elem())
	case *types.Array:
		r.walk(u.Elem())
	case *types.Chan:
		r.walk(u.Elem())
	case *types.Map:
		if b, ok := u.Key().Underlying().(*types.Basic); ok && b.Info()&types.IsString != 0 {
			r.stringMaps = true
		}
		r.walk(u.Key())
		r.walk(u.Elem())
	case *types.Struct:
		for i := 0; i < u.NumFields(); i++ {
			f := u.Field(i)
			if f.Exported() {
				r.fields[f.Name()] = true
			}
			r.walk(f.Type())
		}
	case *types.Signature:
		for j := 0; j < u.Results().Len(); j++ {
			r.walk(u.Results().At(j).Type())
		}
	case *types.Interface:
		r.opaque[reflectString(t)] = true
		for i := 0; i < u.NumMethods(); i++ {
			m := u.Method(i)
			if m.Exported() {
				if r.methods[m.Name()] == nil {
					r.methods[m.Name()] = map[string]bool{}
				}
				r.methods[m.Name()][reflectString(t)] = true
			}
			if sig, ok := m.Type().(*types.Signature); ok {
				for j := 0; j < sig.Results().Len(); j++ {
					r.walk(sig.Results().At(j).Type())
				}
			}
		}
	}
}

// visitFields calls fn for every field name a node of the tree selects: .A.B, $x.A, (pipe).A.
func visitFields(n parse.Node, fn func(parse.Node, string)) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			visitFields(c, fn)
		}
	case *parse.ActionNode:
		visitFields(n.Pipe, fn)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			visitFields(c, fn)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			visitFields(a, fn)
		}
	case *parse.FieldNode:
		for _, id := range n.Ident {
			fn(n, id)
		}
	case *parse.VariableNode:
		for _, id := range n.Ident[1:] {
			fn(n, id)
		}
	case *parse.ChainNode:
		visitFields(n.Node, fn)
		for _, id := range n.Field {
			fn(n, id)
		}
	case *parse.IfNode:
		visitBranch(&n.BranchNode, fn)
	case *parse.RangeNode:
		visitBranch(&n.BranchNode, fn)
	case *parse.WithNode:
		visitBranch(&n.BranchNode, fn)
	case *parse.TemplateNode:
		visitFields(n.Pipe, fn)
	}
}

func visitBranch(b *parse.BranchNode, fn func(parse.Node, string)) {
	visitFields(b.Pipe, fn)
	visitFields(b.List, fn)
	visitFields(b.ElseList, fn)
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
