package tmplgen

import (
	"go/token"
	"go/types"
	"strings"
	"testing"
)

// TestMethods checks the scan the method-free fork relies on: a field name that is a method of a type
// the data reaches is reported with its action; fields and map keys are not; a reachable interface
// makes an unknown name unknown.
func TestMethods(t *testing.T) {
	pkg := types.NewPackage("example.com/m", "m")
	str := types.Typ[types.String]
	inner := types.NewNamed(types.NewTypeName(token.NoPos, pkg, "Inner", nil), types.NewStruct([]*types.Var{
		types.NewField(token.NoPos, pkg, "X", str, false),
	}, nil), nil)
	inner.AddMethod(types.NewFunc(token.NoPos, pkg, "Upper", types.NewSignatureType(
		types.NewVar(token.NoPos, pkg, "i", inner), nil, nil, nil, types.NewTuple(types.NewVar(token.NoPos, pkg, "", str)), false)))
	data := types.NewNamed(types.NewTypeName(token.NoPos, pkg, "Data", nil), types.NewStruct([]*types.Var{
		types.NewField(token.NoPos, pkg, "Name", str, false),
		types.NewField(token.NoPos, pkg, "Items", types.NewSlice(types.NewPointer(inner)), false),
		types.NewField(token.NoPos, pkg, "Any", types.NewInterfaceType(nil, nil).Complete(), false),
	}, nil), nil)
	run := func(text string) ([]MethodCall, string) {
		t.Helper()
		calls, unknown, err := Methods(Request{Texts: []Text{{Name: "t", Text: text}}, Data: data, Pkg: pkg})
		if err != nil {
			t.Fatal(err)
		}
		return calls, unknown
	}
	if calls, unknown := run("{{.Name}} {{range .Items}}{{.X}}{{end}}"); len(calls) != 0 || unknown != "" {
		t.Errorf("fields only: got %v, %q", calls, unknown)
	}
	calls, _ := run(`{{define "x"}}{{.Upper}}{{end}}{{range .Items}}{{template "x" .}}{{end}}`)
	if len(calls) != 1 || calls[0].Name != "Upper" || calls[0].Action != ".Upper" || calls[0].Template != "x" || !strings.HasPrefix(calls[0].Pos, "t:1:") ||
		calls[0].Types[0] != "m.Inner" {
		t.Errorf("method: got %+v", calls)
	}
	if _, unknown := run("{{.Any.Greeting}}"); !strings.Contains(unknown, "Greeting") {
		t.Errorf("interface: unknown = %q", unknown)
	}
	if _, _, err := Methods(Request{Texts: []Text{{Name: "t", Text: "{{.Name"}}, Data: data, Pkg: pkg}); err == nil {
		t.Error("a template that does not parse: no error")
	}
}
