package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The recorded -dumpdep excerpt of tests/data/dumpdep: roots, flags stripped, unnamed parents.
func TestReadDumpdepExcerpt(t *testing.T) {
	path := filepath.Join("..", "..", "tests", "data", "dumpdep", "edge_cases.txt")
	if _, err := os.Stat(path); err != nil {
		t.Skip("the recorded excerpts are in the repository's tests/data")
	}
	roots, edges, err := readDumpdep(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"_rt0_amd64_linux", "go:main.inittasks"}; !reflect.DeepEqual(roots[:2], want) {
		t.Errorf("roots %v, want %v first", roots, want)
	}
	found := map[dumpEdge]bool{}
	for _, e := range edges {
		found[e] = true
	}
	for _, want := range []dumpEdge{
		{"main.call[go.shape.struct { A int; B string }]", "main.lookup[go.shape.struct { A int; B string }]"},
		{"main.lookup[go.shape.struct { A int; B string }]", "reflect.Value.MethodByName"},
		{"type:main.T", "main.T.Name"},
		{"", "go:info.main.T.Hello$abstract"},
	} {
		if !found[want] {
			t.Errorf("edge %q -> %q not read", want.from, want.to)
		}
	}
}

func TestDeclKey(t *testing.T) {
	for name, want := range map[string]string{
		"example.com/p.F":                       "F",
		"example.com/p.F.func1.2":               "F",
		"example.com/p.F.gowrap3":               "F",
		"example.com/p.(*T).M":                  "T.M",
		"example.com/p.T[go.shape.int].M.func1": "T.M",
		"example.com/p.T.M-fm":                  "T.M",
		"type:*example.com/p.T":                 "T",
		"example.com/p.init":                    "init",
		"example.com/p.init.0":                  "init.0",
		"example.com/p..inittask":               "",
		"example.com/p.v":                       "v",
		"example.com/other.F":                   "",
	} {
		if got := declKey(name, "example.com/p"); got != want {
			t.Errorf("declKey(%q) = %q, want %q", name, got, want)
		}
	}
}

// The toolchain's numbering is read from its sources: iota, implicit repetition, other constants.
func TestConstBlock(t *testing.T) {
	src := `package objabi

type RelocType int16

const (
	R_ADDR RelocType = 1 + iota
	// a comment
	R_ADDRPOWER
	R_CALL
)

const (
	R_WEAK = -1 << 15
	R_WEAKADDR = R_WEAK | R_ADDR
)
`
	path := filepath.Join(t.TempDir(), "reloctype.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := constBlock(path, "R_ADDR")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"R_ADDR": 1, "R_ADDRPOWER": 2, "R_CALL": 3, "R_WEAK": -32768, "R_WEAKADDR": -32767}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// The running toolchain's own numbering is found (the core reads the objects of the go that built it).
func TestLoadToolchain(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("no go command")
	}
	tc, err := loadToolchain(strings.TrimSpace(string(out)))
	if err != nil {
		t.Skip(err) // a toolchain without its cmd sources
	}
	if tc.r("R_CALL") <= 0 || !tc.directCall[tc.r("R_CALL")] || len(tc.builtins) == 0 || !tc.textKind[tc.kinds["STEXT"]] {
		t.Errorf("numbering not read: R_CALL %d, %d builtins", tc.r("R_CALL"), len(tc.builtins))
	}
}

func TestNamePackages(t *testing.T) {
	got := namePackages("type:*example.com/a.b/c.T.M")
	want := []string{"example.com/a.b/c.T", "example.com/a.b/c"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// Contraction merges a node into its only predecessor of the same cut unit (or any, for a node of
// no unit), never across units, never a root or an AND edge's target; leaves without bytes go.
func TestContract(t *testing.T) {
	// 0 root (unit 0) -> 1 (unit 0) -> 2 (unit 1) -> 3 (no unit: merged into 2);
	// 0 -> 4 (no unit, an AND target: kept apart); 5 (no unit, no bytes, pred 1 and 2: dropped)
	gr := newGraph(6)
	gr.add(0, 1, 1)
	gr.add(1, 2, 1)
	gr.add(2, 3, 1)
	gr.add(0, 4, 1)
	gr.add(1, 5, 1)
	gr.add(2, 5, 1)
	gr.finish()
	live := []bool{true, true, true, true, true, true}
	unit := []int32{0, 0, 1, -1, -1, -1}
	roots := []int32{1, 0, 0, 0, 0, 0}
	weights := [][]wt{{{0, 1, 0}}, {{0, 2, 0}}, {{1, 3, 0}}, {{1, 5, 0}}, {{0, 4, 0}}, nil}
	rep := contract(gr, live, unit, roots, []bool{false, false, false, false, true, false}, 1, weights,
		make([]bool, 6), make([]bool, 6))
	if want := []int32{0, 0, 2, 2, 4, -1}; !reflect.DeepEqual(rep, want) {
		t.Errorf("representatives %v, want %v", rep, want)
	}
	if len(weights[0]) != 2 || len(weights[2]) != 2 || !live[0] || live[1] || !live[2] || live[3] || !live[4] ||
		live[5] {
		t.Errorf("weights %v, live %v", weights, live)
	}
}

func TestThroughMethod(t *testing.T) {
	cases := []struct {
		chain []string
		want  bool
	}{
		{[]string{"main.main", "text/template.(*Template).execute", "text/template.(*state).evalField"}, false},
		{[]string{"main.main", "type:*dbus.exportedMethod", "dbus.(*exportedMethod).Methods"}, true},
		{[]string{"main.main", "type:*main.T", "type:main.T", "go:itab.main.T,error"}, false},
		{nil, false},
	}
	for _, c := range cases {
		if got := throughMethod(c.chain); got != c.want {
			t.Errorf("throughMethod(%q) = %v, want %v", c.chain, got, c.want)
		}
	}
}
