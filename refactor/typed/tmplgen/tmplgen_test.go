package tmplgen

import (
	"errors"
	"flag"
	"go/token"
	"go/types"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"text/template/parse"
	"time"
)

func tx(text string) []Text { return []Text{{Name: "t", Text: text}} }

// cases lists every supported construct (run against the real library on generated data) and the
// refused ones (with the reason expected).
var cases = []*tcase{
	// text, comments, trimming
	{name: "text", data: "Page", texts: tx("plain text <&> 日本\n")},
	{name: "comment-trim", data: "Page", texts: tx("a  {{- /* c */ -}}  b {{- .Title -}} \n c")},
	{name: "delims", data: "Page", texts: tx("[[.Title]] {{.Title}} [[- .Count]]"), delims: [2]string{"[[", "]]"}},
	// fields
	{name: "fields", data: "Page", texts: tx("{{.Title}}|{{.Count}}|{{.Ratio}}|{{.Small}}|{{.U}}|{{.Big}}|{{.I8}}|{{.On}}|{{.Who}}|{{.Cnt}}|{{.Rt}}|{{.Fl}}|{{.C}}")},
	{name: "fields-ptr", data: "*Page", texts: tx("{{.Title}}|{{.Count}}|{{.Lvl}}|{{.Money}}|{{.PMoney}}|{{.PtrMoney}}")},
	{name: "stringers-value", data: "Page", texts: tx("{{.Lvl}}|{{.Money}}|{{.PMoney}}|{{.PtrMoney}}|{{.Err}}|{{.Str}}|{{.Shp}}")},
	{name: "stringers-ptr", data: "*Page", texts: tx("{{.Lvl}}|{{.Money}}|{{.PMoney}}|{{.PtrMoney}}|{{.Err}}|{{.Str}}|{{.Shp}}|{{.Nested}}")},
	{name: "composite-print", data: "Page", texts: tx("{{.Tags}}|{{.Nums}}|{{.Arr}}|{{.Empty}}|{{.M}}|{{.MI}}|{{.Bytes}}|{{.Mat}}|{{.Nested}}|{{.Items}}|{{.MF}}")},
	{name: "nested", data: "Page", texts: tx("{{.Nested.X}} {{.Nested.S}} {{.Nested.L}} {{.Nested.P}}")},
	{name: "nil-pointer-field", data: "Page", texts: tx("before {{.PInner.X}} after")},
	{name: "nil-pointer-deep", data: "*Page", texts: tx("{{.PP}} {{with .PP}}{{.X}}{{end}}")},
	{name: "ptr-ptr-field", data: "Page", texts: tx("x{{.PP.S}}y")},
	{name: "nil-data", data: "*Page", texts: tx("start {{.Title}}")},
	{name: "missing-field", data: "Page", texts: tx("a{{if .On}}{{.Nope}}{{end}}b")},
	{name: "missing-field-ptr", data: "*Inner", texts: tx("a{{.Nope}}b")},
	{name: "unexported-field", data: "Page", texts: tx("a{{if .On}}{{.secret}}{{end}}b")},
	{name: "embedded", data: "Page", texts: tx("{{.ID}} {{.Label}} {{.Base.ID}} {{.Describe}}")},
	{name: "embedded-ptr", data: "Page", texts: tx("{{.PNote}} x {{.Note}}")},
	{name: "embedded-ptr-addr", data: "*Page", texts: tx("{{.PNote}} x {{if .PBase}}{{.Note}}{{end}}")},
	{name: "field-with-args", data: "Page", texts: tx("a{{if .On}}{{.Title 1}}{{end}}b")},
	{name: "field-on-basic", data: "Page", texts: tx("a{{if .On}}{{.Title.X}}{{end}}b")},
	{name: "field-on-slice", data: "Page", texts: tx("a{{if .On}}{{.Tags.X}}{{end}}b")},
	// maps
	{name: "map-keys", data: "Page", texts: tx("{{.M.a}}|{{.M.hello}}|{{.MM.a.b}}|{{.MP.k}}|{{.MP.k.X}}")},
	{name: "map-missing-zero", data: "Page", texts: tx("{{.M.a}}|{{.MM.a.b}}|{{.MP.k}}"), missingKey: "zero"},
	{name: "map-missing-error", data: "Page", texts: tx("{{.M.a}}|{{.MM.a.b}}"), missingKey: "error"},
	{name: "map-named-key", data: "Page", texts: tx("a{{if .On}}{{.MS.x}}{{end}}b")},
	{name: "map-data", data: "map[string]string", texts: tx("{{.a}} {{.b}} {{range $k, $v := .}}{{$k}}={{$v}};{{end}}")},
	{name: "map-if-missing", data: "Page", texts: tx("{{if .M.a}}yes{{else}}no{{end}} {{with .M.a}}{{.}}{{end}}")},
	{name: "map-print-func", data: "Page", texts: tx("{{print .M.a}} {{printf \"%v\" .M.b}} {{html .M.c}}")},
	{name: "map-any", data: "Page", texts: tx("{{.MAny.a}} {{if .MAny.b}}B{{end}}")},
	{name: "scores", data: "Page", texts: tx("{{.Sc.x}} {{len .Sc}} {{range $k, $v := .Sc}}{{$k}}{{$v}}{{end}}")},
	// range
	{name: "range-slice", data: "Page", texts: tx("{{range .Tags}}[{{.}}]{{else}}none{{end}}")},
	{name: "range-vars", data: "Page", texts: tx("{{range $i, $t := .Tags}}{{$i}}:{{$t}},{{end}}|{{range $t := .Nums}}{{$t}}{{end}}")},
	{name: "range-array", data: "Page", texts: tx("{{range $i, $e := .Arr}}{{$i}}={{$e}} {{end}}{{range .Empty}}x{{else}}empty{{end}}")},
	{name: "range-map", data: "Page", texts: tx("{{range $k, $v := .M}}{{$k}}={{$v}};{{end}}|{{range .MI}}{{.}}{{end}}|{{range $k, $v := .MI}}{{$k}}{{end}}")},
	{name: "range-map-float-bool", data: "Page", texts: tx("{{range $k, $v := .MF}}{{$k}}={{$v}};{{end}}|{{range $k, $v := .MB}}{{$k}}={{$v}};{{end}}")},
	{name: "range-map-named", data: "Page", texts: tx("{{range $k, $v := .MS}}{{$k}}={{$v}};{{else}}no{{end}}")},
	{name: "range-structs", data: "*Page", texts: tx("{{range .Items}}{{.Name}}:{{.Cost}}:{{range .Tags}}<{{.}}>{{end}};{{end}}{{range .PItems}}{{.Name}}{{end}}")},
	{name: "range-nested-mat", data: "Page", texts: tx("{{range .Mat}}{{range .}}{{.}},{{end}};{{end}}")},
	{name: "range-break-continue", data: "Page", texts: tx("{{range $i, $n := .Nums}}{{if eq $n 3}}{{continue}}{{end}}{{if gt $i 2}}{{break}}{{end}}{{$n}} {{end}}")},
	{name: "range-else-var", data: "Page", texts: tx("{{range $x := .Tags}}{{$x}}{{else}}[{{$x}}]{{end}}")},
	{name: "range-int", data: "Page", texts: tx("{{range .I8}}{{.}},{{else}}none{{end}}|{{range $i := 3}}{{$i}}{{end}}")},
	{name: "range-int-two-vars", data: "Page", texts: tx("{{range $i, $e := .Count}}x{{end}}"), random: 2},
	{name: "range-nil-ptr", data: "Page", texts: tx("a{{range .PInner}}{{.}}{{end}}b")},
	{name: "range-bad", data: "Page", texts: tx("a{{range .Title}}{{.}}{{end}}b")},
	{name: "range-missing", data: "Page", texts: tx("{{range .MM.a}}{{.}}{{else}}none{{end}}")},
	{name: "range-missing-vars", data: "Page", texts: tx("{{range $k, $v := .MM.a}}{{$k}}{{$v}}{{else}}[{{$k}}]{{end}}")},
	{name: "range-dollar", data: "Page", texts: tx("{{range .Tags}}{{$.Title}}/{{.}} {{end}}")},
	{name: "range-bytes", data: "Page", texts: tx("{{range .Bytes}}{{.}} {{end}}")},
	// if / with / else if / else with
	{name: "if-truth", data: "Page", texts: tx("{{if .Title}}T{{end}}{{if .Count}}C{{end}}{{if .Ratio}}R{{end}}{{if .Tags}}G{{end}}{{if .M}}M{{end}}{{if .PInner}}P{{end}}{{if .Arr}}A{{end}}{{if .Empty}}E{{end}}{{if .Nested}}N{{end}}{{if .Any}}Y{{end}}{{if .Err}}X{{end}}{{if .Fn}}F{{end}}{{if .Ch}}H{{end}}{{if .C}}c{{end}}{{if .Fl}}f{{end}}")},
	{name: "if-else-if", data: "Page", texts: tx("{{if gt .Count 10}}big{{else if gt .Count 0}}small{{else}}none{{end}}")},
	{name: "with-else-with", data: "Page", texts: tx("{{with .PInner}}{{.S}}{{else with .Tags}}{{len .}}{{else}}nothing{{end}}"), since: 23},
	{name: "with-var", data: "Page", texts: tx("{{with $x := .Title}}{{$x}}={{.}}{{end}}{{if $y := .Count}}{{$y}}{{else}}[{{$y}}]{{end}}")},
	{name: "with-any", data: "Page", texts: tx("{{with .Any}}{{.}}{{else}}nil{{end}}")},
	// variables
	{name: "vars", data: "Page", texts: tx("{{$x := .Count}}{{$x}} {{$x = 5}}{{$x}} {{$t := .Title}}{{$t}} {{$ := 1}}")},
	{name: "var-shadow", data: "Page", texts: tx("{{$x := 1}}{{if .On}}{{$x := 2}}{{$x}}{{$x = 3}}{{$x}}{{end}}{{$x}}")},
	{name: "var-dollar", data: "Page", texts: tx("{{$.Title}} {{$.Nested.X}} {{with .Nested}}{{$.Count}}{{.X}}{{end}}")},
	{name: "var-fields", data: "Page", texts: tx("{{$n := .Nested}}{{$n.X}} {{$n.Double}} {{$p := .PInner}}{{$p.S}}")},
	// methods
	{name: "methods-value", data: "Page", texts: tx("{{.Upper}} {{.Add 1 2}} {{.Join \",\" \"a\" \"b\"}} {{.Join \"-\"}} {{.Level}} {{.Describe2 \"n\" 300}}")},
	{name: "methods-ptr", data: "*Page", texts: tx("{{.Total}} {{.Upper}} {{.Child.X}} {{.Nested.Bump}}{{.Nested.X}}")},
	{name: "methods-ptr-notaddr", data: "Page", texts: tx("a{{if .On}}{{.Total}}{{end}}b")},
	{name: "method-error", data: "Page", texts: tx("{{.Fail}} after")},
	{name: "method-panic", data: "Page", texts: tx("{{.Panics}} after")},
	{name: "method-runtime-panic", data: "Page", texts: tx("{{.RuntimePanic}} after")},
	{name: "method-nil-recv", data: "Page", texts: tx("{{.PInner.Bump}}|{{.Child.Bump}}")},
	{name: "method-nil-value-recv", data: "Page", texts: tx("{{.PInner.Double}}")},
	{name: "method-nil-embedded", data: "Page", texts: tx("{{.PBase.PNote}}")},
	{name: "method-chain", data: "Page", texts: tx("{{(.WithErr .Count).Name}} {{(.WithErr 1).Qty}} {{.Kids}}")},
	{name: "method-bad-sig", data: "Page", texts: tx("a{{if .On}}{{.Bad}}{{end}}b")},
	{name: "method-no-result", data: "Page", texts: tx("a{{if .On}}{{.NoResult}}{{end}}b")},
	{name: "method-wrong-args", data: "Page", texts: tx("a{{if .On}}{{.Add 1}}{{end}}b")},
	{name: "method-piped", data: "Page", texts: tx("{{.Count | .Add 1}} {{\"x\" | .Join \",\" \"a\"}}")},
	{name: "method-iface", data: "Page", texts: tx("{{.Shp.Area}}|{{.Str.String}}")},
	{name: "method-arg-types", data: "Page", texts: tx("{{.Add .Count .Nested.X}} {{.Describe2 .Title .I8}}")},
	{name: "method-arg-wrongtype", data: "Page", texts: tx("a{{if .On}}{{.Add .Title 1}}{{end}}b")},
	{name: "method-arg-literal-bad", data: "Page", texts: tx("a{{if .On}}{{.Add \"x\" 1}}{{end}}b")},
	{name: "tree-user", data: "Config", texts: tx("{{.Name}} {{with .Owner}}{{.Display}} {{.Age}}{{end}} {{range .Users}}{{.Login}}{{if .Admin}}*{{end}} {{end}} {{.Extra.Title}}")},
	// functions
	{name: "funcs", data: "Page", texts: tx("{{upper .Title}} {{repeat .Title 2}} {{sum 1 2 3}} {{sum}} {{inc .Count}} {{.Count | inc | inc}}"),
		funcs: map[string]string{"upper": "fnUpper", "repeat": "fnRepeat", "sum": "fnSum", "inc": "fnInc"}},
	{name: "func-exprs", data: "Page", texts: tx("{{v .Title}} {{area}} {{.Count | inc}}"),
		funcs: map[string]string{"v": "fnVar", "area": "shower.Area", "inc": "(func(x int) int { return x * 3 })"}},
	{name: "func-error", data: "Page", texts: tx("{{err .Count}} after"), funcs: map[string]string{"err": "fnErr"}},
	{name: "func-panic", data: "Page", texts: tx("{{fpanic .Count}} after"), funcs: map[string]string{"fpanic": "fnPanic"}},
	{name: "func-args", data: "Page", texts: tx("{{any .Any}} {{any nil}} {{any .Title}} {{ptr .PInner}} {{ptr nil}} {{i8 300}} {{i8 -1}} {{f32 1.1}} {{str .Lvl}} {{str .Str}} {{mlen .M}} {{mlen nil}} {{two \"a\" 3}} {{uint 3}} {{name .Who}}"),
		funcs: map[string]string{"any": "fnAny", "ptr": "fnPtr", "i8": "fnInt8", "f32": "fnFloat32", "str": "fnStringer", "mlen": "fnMapLen", "two": "fnTwo", "uint": "fnUint", "name": "fnName"}},
	{name: "func-ptr-deref", data: "Page", texts: tx("{{two .Title .Count}} {{inc .Nested.X}}"), funcs: map[string]string{"two": "fnTwo", "inc": "fnInc"}},
	{name: "func-ptr-to-value", data: "*Page", texts: tx("{{with .PP}}{{inc .X}}{{end}}"), funcs: map[string]string{"inc": "fnInc"}},
	{name: "func-wrong-type", data: "Page", texts: tx("a{{if .On}}{{upper .Count}}{{end}}b"), funcs: map[string]string{"upper": "fnUpper"}},
	{name: "func-named-string-arg", data: "Page", texts: tx("a{{if .On}}{{upper .Who}}{{end}}b"), funcs: map[string]string{"upper": "fnUpper"}},
	{name: "func-uint-neg", data: "Page", texts: tx("a{{if .On}}{{uint -1}}{{end}}b"), funcs: map[string]string{"uint": "fnUint"}},
	{name: "func-bad-sig", data: "Page", texts: tx("a{{if .On}}{{bad 1}}{{end}}b"), funcs: map[string]string{"bad": "fnBadSig"}, refuse: "Funcs panics"},
	{name: "func-nil-result", data: "Page", texts: tx("{{fnil}} {{(fnil).S}}"), funcs: map[string]string{"fnil": "fnNil"}},
	{name: "func-struct-result", data: "Page", texts: tx("{{(mk .Title).Name}} {{(mk \"x\").Cost}}"), funcs: map[string]string{"mk": "fnMakeItem"}},
	{name: "func-overrides-builtin", data: "Page", texts: tx("{{len .Title}}"), funcs: map[string]string{"len": "fnUpper"}},
	{name: "func-missing-arg", data: "Page", texts: tx("a{{if .On}}{{f 'a'}}{{f 1.5}}{{end}}b"), funcs: map[string]string{"f": "fnInc"}},
	// builtins
	{name: "len", data: "Page", texts: tx("{{len .Title}} {{len .Tags}} {{len .M}} {{len .Arr}} {{len .Empty}} {{len .Ns}} {{len .Sc}} {{len .Bytes}} {{len .Ch}}")},
	{name: "len-ptr", data: "Page", texts: tx("{{len .PtrMoney}}")},
	{name: "len-nil-ptr", data: "*Page", texts: tx("{{with .PP}}{{len .S}}{{end}} {{len .PItems}}")},
	{name: "len-missing", data: "Page", texts: tx("{{len .MM.a}}")},
	{name: "len-any", data: "Page", texts: tx("{{len .Any}}")},
	{name: "index", data: "Page", texts: tx("{{index .Tags 1}}|{{index .M \"a\"}}|{{index .MI 2}}|{{index .Arr 2}}|{{index .Mat 0 1}}|{{index .Title 0}}|{{index .Nums .Count}}")},
	{name: "index-out-of-range", data: "Page", texts: tx("{{index .Tags 3}}")},
	{name: "index-uint", data: "Page", texts: tx("{{index .Tags .U}} {{index .Nums .I8}}")},
	{name: "index-ptr", data: "*Page", texts: tx("{{index .PItems 0}} {{(index .PItems 0).Name}} {{index .Items 0}}"),
		values: []string{"ptrTo(Page{PItems: []*Item{nil}})"}},
	{name: "index-map-conv", data: "Page", texts: tx("{{index .MI .U}} {{index .MI .Cnt}}")},
	{name: "index-bad", data: "Page", texts: tx("a{{if .On}}{{index .Count 1}}{{end}}b")},
	{name: "index-bad-key", data: "Page", texts: tx("a{{if .On}}{{index .M 1}}{{end}}b")},
	{name: "index-nil", data: "Page", texts: tx("a{{if .On}}{{index nil 1}}{{end}}b")},
	{name: "index-nil-key", data: "Page", texts: tx("a{{if .On}}{{index .Tags nil}}{{end}}b")},
	{name: "index-bad-index-type", data: "Page", texts: tx("a{{if .On}}{{index .Tags \"x\"}}{{end}}b")},
	{name: "index-named", data: "Page", texts: tx("{{index .MS \"x\"}}")},
	{name: "index-noargs", data: "Page", texts: tx("{{index .Tags}}")},
	{name: "slice", data: "Page", texts: tx("{{slice .Tags}}|{{slice .Tags 1}}|{{slice .Title 1 2}}|{{slice .Nums 0 1 2}}|{{slice .Bytes 1}}")},
	{name: "slice-bad", data: "Page", texts: tx("{{slice .Tags 2 1}}")},
	{name: "slice-array", data: "*Page", texts: tx("{{slice .Arr 1}}")},
	{name: "slice-array-unaddr", data: "Page", texts: tx("{{slice .Arr 1}}")},
	{name: "slice-string-3", data: "Page", texts: tx("{{slice .Title 0 0 0}}")},
	{name: "slice-too-many", data: "Page", texts: tx("a{{if .On}}{{slice .Tags 0 0 0 0}}{{end}}b")},
	{name: "slice-ptr", data: "Page", texts: tx("{{with .PP}}{{slice .S 0}}{{end}}")},
	{name: "print", data: "Page", texts: tx("{{print .Title .Count}}|{{print 1 2 \"a\" 3}}|{{println .Tags}}|{{printf \"%d-%s-%v\" .Count .Title .Lvl}}|{{printf \"%5.2f\" .Ratio}}|{{printf \"plain\"}}|{{print}}|{{print nil}}|{{print .PInner}}|{{print .PtrMoney}}")},
	{name: "printf-wrong", data: "Page", texts: tx("{{printf \"%d\" .Title}} {{printf \"%s\"}}")},
	{name: "printf-format-type", data: "Page", texts: tx("a{{if .On}}{{printf .Who}}{{end}}b")},
	{name: "html-js-urlquery", data: "Page", texts: tx("{{html .Title}}|{{js .Title}}|{{urlquery .Title}}|{{html .Count .Title}}|{{js .PtrMoney}}|{{urlquery .Tags}}|{{.Title | html}}|{{html .PMoney}}|{{html}}")},
	{name: "html-js-ptr", data: "*Page", texts: tx("{{html .PMoney}}|{{js .Nested}}|{{urlquery .Lvl}}")},
	{name: "not-and-or", data: "Page", texts: tx("{{not .On}} {{and .Title .Count}} {{or .Title .Count}} {{and .Count .Ratio .Title}} {{or .Tags .Nums}} {{and .On .Fl}} {{or}}")},
	{name: "and-or-shortcircuit", data: "Page", texts: tx("{{and .On .Fail}} {{or .On .Fail}} {{if and .PInner .PInner.X}}x{{end}} {{if or (not .PInner) .PInner.S}}y{{end}}")},
	{name: "and-or-same", data: "Page", texts: tx("{{and .Title .Who}}|{{or .Title \"dflt\"}}|{{and .Nested .Nested}}|{{.Title | or \"x\"}}|{{.Count | and .On}}")},
	{name: "and-or-missing", data: "Page", texts: tx("{{or .M.a 5}}|{{and .M.a .M.b}}|{{or .M.a}}")},
	{name: "and-with", data: "*Page", texts: tx("{{with and .Title .Tags}}{{.}}{{end}}|{{with or .PInner .Nested}}{{.}}{{end}}")},
	{name: "eq", data: "Page", texts: tx("{{eq .Count 1}} {{eq .Title \"a\"}} {{eq .Count 1 2 3}} {{eq .U 7}} {{eq .Big 1}} {{eq .Count .U}} {{eq .Ratio 1.5}} {{eq .On true}} {{eq .Lvl 1}} {{eq .Who \"nm\"}} {{eq .C .C}} {{ne .Count 0}} {{eq .I8 -1}}")},
	{name: "eq-mixed-sign", data: "Page", texts: tx("{{eq .I8 .U}} {{eq .U .I8}} {{lt .I8 .U}} {{lt .U .I8}} {{le .I8 .Big}} {{gt .Big .Count}} {{ge .Count .U}}")},
	{name: "eq-incompatible", data: "Page", texts: tx("{{eq .Count 1 \"a\"}}")},
	{name: "eq-nil", data: "Page", texts: tx("{{eq .PInner nil}} {{eq .Tags nil}} {{eq .M nil}} {{eq .Err nil}} {{ne .PInner nil}}")},
	{name: "eq-struct", data: "Page", texts: tx("{{eq .Nested .Nested}} {{eq .PInner .PInner}} {{eq .Items .Items}}")},
	{name: "eq-any", data: "Page", texts: tx("{{eq .Any 42}} {{eq .Any \"str\"}} {{eq .MAny.a 1}} {{eq .M.a 1}} {{lt .M.a 1}}")},
	{name: "eq-one-arg", data: "Page", texts: tx("{{eq .Count}}")},
	{name: "lt-le-gt-ge", data: "Page", texts: tx("{{lt .Count 3}} {{le .Count 3}} {{gt .Count 3}} {{ge .Count 3}} {{lt .Title \"m\"}} {{lt .Ratio 1.0}} {{gt .Big 10}} {{ge .Rt 0.5}}")},
	{name: "lt-bool", data: "Page", texts: tx("{{lt .On .On}}")},
	{name: "lt-incompatible", data: "Page", texts: tx("{{lt .Count .Title}}")},
	{name: "lt-struct", data: "Page", texts: tx("{{lt .Nested .Nested}}")},
	{name: "call", data: "Page", texts: tx("{{call .Fn 3}} {{call .Fn .Count}}"), refuse: "call builtin", refuseUpTo: 22},
	{name: "call-bad", data: "Page", texts: tx("a{{if .On}}{{call .Title 1}}{{end}}b"), refuse: "call builtin", refuseUpTo: 22},
	{name: "pipes", data: "Page", texts: tx("{{.Title | printf \"%q\"}} {{.Count | printf \"%d-%d\" 1}} {{(.Nested).X}} {{(index .Items 0).Name}}")},
	{name: "constants", data: "Page", texts: tx("{{1}} {{1.5}} {{1e3}} {{0x10}} {{'a'}} {{\"s\"}} {{true}} {{-3}} {{1i}} {{0x1p4}} {{.Add 0x10 'b'}}")},
	{name: "constant-nil", data: "Page", texts: tx("a{{if .On}}{{nil}}{{end}}b")},
	{name: "dot-print", data: "Inner", texts: tx("{{.}}|{{.X}}|{{.P}}")},
	{name: "dot-ptr-print", data: "*Inner", texts: tx("{{.}}|{{with .}}{{.X}}{{end}}")},
	{name: "dot-level", data: "Level", texts: tx("{{.}} {{printf \"%d\" .}}")},
	{name: "dot-slice", data: "[]string", texts: tx("{{.}} {{range .}}{{.}}{{end}} {{len .}} {{index . 0}}")},
	{name: "dot-any", data: "any", texts: tx("{{.}}|{{if .}}y{{end}}|{{printf \"%T\" .}}")},
	{name: "dot-error", data: "error", texts: tx("{{.}}")},
	{name: "dot-func", data: "func(int) int", texts: tx("a{{.}}b")},
	{name: "dot-chan", data: "chan int", texts: tx("a{{.}}b")},
	{name: "print-func-field", data: "Page", texts: tx("a{{.Fn}}b")},
	{name: "money-ptr-print", data: "Page", texts: tx("{{.PMoney}} {{with .PMoney}}{{.}}{{end}} {{range .Items}}{{.}}{{end}}")},
	// templates
	{name: "define-template", data: "Page", texts: tx(`{{define "item"}}<{{.Name}}:{{.Qty}}>{{end}}{{range .Items}}{{template "item" .}}{{end}}{{template "item" (index .Items 0)}}`)},
	{name: "template-nil-pipe", data: "Page", texts: tx(`{{define "x"}}[{{.}}]{{end}}{{template "x"}}`)},
	{name: "template-missing", data: "Page", texts: tx(`a{{if .On}}{{template "nope" .}}{{end}}b`)},
	{name: "template-recursive", data: "*Tree", texts: tx(`{{define "node"}}{{.Name}}({{range .Kids}}{{template "node" .}}{{end}}){{end}}{{template "node" .}}`)},
	{name: "template-dollar", data: "Page", texts: tx(`{{define "in"}}{{$.X}}/{{.S}}{{end}}{{template "in" .Nested}}|{{template "in" .PInner}}`)},
	{name: "template-missing-dot", data: "Page", texts: tx(`{{define "in"}}[{{.}}]{{.X}}{{end}}{{template "in" .MP.k}}`)},
	{name: "block", data: "Page", texts: tx(`{{block "b" .}}default {{.Title}}{{end}}`)},
	{name: "several-texts", data: "Page", texts: []Text{{Name: "main", Text: `{{template "header" .}}body{{template "footer"}}`},
		{Name: "header", Text: `H:{{.Title}}`}, {Name: "footer", Text: `F`}}},
	{name: "execute-template", data: "Page", texts: []Text{{Name: "root", Text: `root`}, {Name: "other", Text: `other {{.Count}}`}}, entry: "other"},
	{name: "redefine", data: "Page", texts: []Text{{Name: "a", Text: `{{define "x"}}one{{end}}{{template "x"}}`}, {Name: "b", Text: `{{define "x"}}two{{end}}`}}, entry: "a"},
	{name: "config-report", data: "*Config", texts: tx(`Name: {{.Name}} v{{.Version}}
{{- if .Debug}} (debug){{end}}
Paths:{{range $i, $p := .Paths}}
  {{$i}}. {{$p}}{{else}} none{{end}}
Env:{{range $k, $v := .Env}} {{$k}}={{printf "%q" $v}}{{end}}
{{with .Owner}}Owner: {{.Login}} ({{.Age}}){{end}}
{{- range .Users}}
- {{.Display}}{{if .Admin}} [admin]{{end}}{{if gt .Age 60}} senior{{end}}
{{- end}}
Limits: {{len .Limits}} {{index .Limits "cpu"}}
`)},
	// html/template
	{name: "html-text", data: "Page", html: true, texts: tx(`<p>{{.Title}}</p><p>{{.Count}} {{.Lvl}} {{.PMoney}} {{.PtrMoney}} {{.Tags}}</p>`)},
	{name: "html-attr", data: "*Page", html: true, texts: tx(`<a title="{{.Title}}" class='{{.Who}} x'>{{.Title}}</a><input value="{{.Count}}">`)},
	{name: "html-unquoted-attr", data: "Page", html: true, texts: tx(`<input value={{.Title}} name={{.Who}}>`)},
	{name: "html-rcdata", data: "Page", html: true, texts: tx(`<textarea>{{.Title}}</textarea><title>{{.Title}}</title>`)},
	{name: "html-comment", data: "Page", html: true, texts: tx(`a<!-- {{.Title}} -->b{{.Title}}`)},
	{name: "html-range-if", data: "*Page", html: true, texts: tx(`<ul>{{range .Items}}<li class="{{if gt .Qty 1}}many{{end}}">{{.Name}}: {{.Price}}</li>{{else}}<li>none</li>{{end}}</ul>`)},
	{name: "html-predefined", data: "Page", html: true, texts: tx(`<p>{{.Title | html}}</p><p>{{html .Title .Count}}</p><p>{{urlquery .Title}}</p>`)},
	{name: "html-missing", data: "Page", html: true, texts: tx(`<p>{{.M.a}}</p><p title="{{.M.b}}">x</p>`)},
	{name: "html-template", data: "Page", html: true, texts: tx(`{{define "row"}}<td>{{.}}</td>{{end}}<tr>{{range .Tags}}{{template "row" .}}{{end}}</tr>`)},
	{name: "html-printf", data: "Page", html: true, texts: tx(`<b>{{printf "%s & %d" .Title .Count}}</b>`)},
	{name: "html-nil-ptr", data: "Page", html: true, texts: tx(`<b>{{.PInner}}</b>{{.PtrMoney}}`)},
	// refusals
	{name: "refuse-any-field", data: "Page", texts: tx("{{.Any.X}}"), refuse: "dynamic type is not known statically"},
	{name: "refuse-range-any", data: "Page", texts: tx("{{range .Any}}{{end}}"), refuse: "dynamic type is not known statically"},
	{name: "refuse-chan", data: "Page", texts: tx("{{range .Ch}}{{end}}"), refuse: "channel"},
	{name: "refuse-html-url", data: "Page", html: true, texts: tx(`<a href="{{.Title}}">x</a>`), refuse: "URL"},
	{name: "refuse-html-js", data: "Page", html: true, texts: tx(`<script>var x = {{.Title}};</script>`), refuse: "JavaScript"},
	{name: "refuse-html-css", data: "Page", html: true, texts: tx(`<style>p { color: {{.Title}} }</style>`), refuse: "CSS"},
	{name: "refuse-html-any", data: "Page", html: true, texts: tx(`<p>{{.Any}}</p>`), refuse: "content types"},
	{name: "refuse-html-derived", data: "Page", html: true, texts: tx(`{{define "v"}}{{.}}{{end}}<a title="{{template "v" .Title}}">x</a>`), refuse: "non-text HTML context"},
	{name: "refuse-html-error", data: "Page", html: true, texts: tx(`<a href="{{.Title}}`), refuse: "html/template refuses"},
	{name: "refuse-parse", data: "Page", texts: tx("{{.Title"), refuse: "does not parse"},
	{name: "refuse-no-template", data: "Page", texts: tx("x"), entry: "nope", refuse: "no template"},
	{name: "refuse-var-type-change", data: "Page", texts: tx("{{$x := 1}}{{$x = .Title}}"), refuse: "another type"},
	{name: "refuse-map-struct-key", data: "map[Inner]int", texts: tx("{{range .}}{{end}}"), refuse: "fmtsort"},
	{name: "refuse-iface-len", data: "Page", texts: tx("{{index .Any 1}}"), refuse: "interface type"},
}

var addr = regexp.MustCompile(`0x[0-9a-f]{6,}`)

func TestGenerateAgainstTemplates(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("needs the go command")
	}
	start := time.Now()
	m := loadModule(t)
	h := newHarness(t, m)
	ran := map[string]bool{}
	minor, _ := goMinor(runtime.Version())
	skipped := 0
	for _, c := range cases {
		if c.since > minor {
			skipped++
			continue
		}
		if c.refuseUpTo != 0 && minor > c.refuseUpTo {
			cc := *c
			cc.refuse = ""
			c = &cc
		}
		err := h.add(t, c)
		var rf *Refusal
		switch {
		case c.refuse != "":
			if !errors.As(err, &rf) || !strings.Contains(err.Error(), c.refuse) {
				t.Errorf("%s: want a refusal with %q, got %v", c.name, c.refuse, err)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		default:
			ran[c.name] = true
		}
	}
	gen := time.Since(start)
	outs := h.run(t)
	seen := map[string]int{}
	bad := 0
	for _, o := range outs {
		seen[o.Case]++
		// Each execution gets its own copy of the data (methods may change it): pointers differ.
		if addr.ReplaceAllString(o.Real, "0xADDR") != addr.ReplaceAllString(o.Gen, "0xADDR") ||
			addr.ReplaceAllString(o.RealErr, "0xADDR") != addr.ReplaceAllString(o.GenErr, "0xADDR") {
			bad++
			if bad <= 40 {
				data := o.Data
				if len(data) > 400 {
					data = data[:400] + "..."
				}
				t.Errorf("%s on %s:\n real: %q %s\n  gen: %q %s", o.Case, data, o.Real, o.RealErr, o.Gen, o.GenErr)
			}
		}
	}
	for name := range ran {
		if seen[name] == 0 {
			t.Errorf("%s: no outcome", name)
		}
	}
	failed := 0
	for _, o := range outs {
		if o.RealErr != "" {
			failed++
		}
	}
	t.Logf("%s: %d cases (%d compiled, %d refused as expected, %d need a newer Go), %d executions compared (%d end in an error), %d mismatches; generation %v, total %v",
		runtime.Version(), len(cases), len(ran), len(cases)-len(ran)-skipped, skipped, len(outs), failed, bad, gen, time.Since(start))
}

// TestRefusalNamesTheAction checks the refusal's position and action text.
func TestRefusalNamesTheAction(t *testing.T) {
	m := loadModule(t)
	_, err := Generate(Request{Texts: tx("line1\n  {{.Title}} {{.Any.Field}}"), Data: m.typeOf(t, "Page"), Pkg: m.pkg})
	var rf *Refusal
	if !errors.As(err, &rf) {
		t.Fatalf("want a refusal, got %v", err)
	}
	if rf.Pos != "t:2:19" || rf.Action != ".Any.Field" || rf.Template != "t" {
		t.Errorf("refusal = %+v", rf)
	}
	if !strings.Contains(rf.Error(), `template "t" at t:2:19 <.Any.Field>:`) {
		t.Errorf("message = %s", rf.Error())
	}
}

// TestShowGenerated prints the code generated for the case named by TMPLGEN_SHOW (debugging aid).
func TestShowGenerated(t *testing.T) {
	name := os.Getenv("TMPLGEN_SHOW")
	if name == "" {
		t.Skip("set TMPLGEN_SHOW to a case name")
	}
	m := loadModule(t)
	for _, c := range cases {
		if c.name != name {
			continue
		}
		res, err := Generate(Request{Texts: c.texts, Root: c.root, Entry: c.entry, HTML: c.html, MissingKey: c.missingKey,
			LeftDelim: c.delims[0], RightDelim: c.delims[1], Data: m.typeOf(t, c.data), Pkg: m.pkg, Funcs: m.funcs(t, c.funcs)})
		if err != nil {
			t.Fatal(err)
		}
		f, _ := res.File("main")
		t.Logf("%s", f)
	}
}

func TestReflectValueData(t *testing.T) {
	m := loadModule(t)
	rv := types.NewNamed(types.NewTypeName(token.NoPos, types.NewPackage("reflect", "reflect"), "Value", nil), types.NewStruct(nil, nil), nil)
	_, err := Generate(Request{Texts: tx("{{.}}"), Data: rv, Pkg: m.pkg})
	var rf *Refusal
	if !errors.As(err, &rf) || !strings.Contains(rf.Reason, "reflect.Value") {
		t.Errorf("want a refusal, got %v", err)
	}
}

func TestGoVersion(t *testing.T) {
	for v, want := range map[string]int{"go1.26.8": 26, "go1.22": 22, "devel go1.27-abc": 27, "go1.24rc1": 24} {
		if got, ok := goMinor(v); !ok || got != want {
			t.Errorf("goMinor(%q) = %d, %v", v, got, ok)
		}
	}
	m := loadModule(t)
	_, err := Generate(Request{Texts: tx("x"), Data: m.typeOf(t, "Page"), Pkg: m.pkg, GoVersion: "go1.21.3"})
	if err == nil {
		t.Error("Go 1.21 accepted")
	}
}

func TestReflectString(t *testing.T) {
	m := loadModule(t)
	for expr, want := range map[string]string{
		"*Page": "*main.Page", "[]Item": "[]main.Item", "map[string]*Inner": "map[string]*main.Inner",
		"[3]int": "[3]int", "any": "interface {}", "error": "error", "func(int, ...string) (int, error)": "func(int, ...string) (int, error)",
		"chan<- int": "chan<- int", "<-chan int": "<-chan int", "struct{ A int; b string }": "struct { A int; b string }",
		"byte": "uint8", "rune": "int32", "interface{ String() string }": "interface { String() string }",
	} {
		if got := reflectString(m.typeOf(t, expr)); got != want {
			t.Errorf("reflectString(%s) = %q, want %q", expr, got, want)
		}
	}
}

// TestTreesInput checks that parse trees (as text/template/parse returns them) give the same code
// as the texts they come from.
func TestTreesInput(t *testing.T) {
	m := loadModule(t)
	text := `{{define "item"}}<{{.Name}}>{{end}}{{range .Items}}{{template "item" .}}{{end}}`
	fromText, err := Generate(Request{Texts: tx(text), Data: m.typeOf(t, "Page"), Pkg: m.pkg})
	if err != nil {
		t.Fatal(err)
	}
	trees, err := parse.Parse("t", text, "", "", map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	fromTrees, err := Generate(Request{Trees: trees, Root: "t", Data: m.typeOf(t, "Page"), Pkg: m.pkg})
	if err != nil {
		t.Fatal(err)
	}
	if string(fromText.Decls) != string(fromTrees.Decls) {
		t.Errorf("trees and text differ:\n%s\n---\n%s", fromText.Decls, fromTrees.Decls)
	}
}

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// TestGolden keeps one generated file under review: testdata/usage.golden (go test -update).
func TestGolden(t *testing.T) {
	m := loadModule(t)
	res, err := Generate(Request{
		Texts: tx(`Usage of {{.Name}}:{{range .Users}}
  {{.Login}}{{if .Admin}} (admin){{end}}{{else}} no users{{end}}
{{with .Owner}}owner: {{.Display}}{{end}}
{{range $k, $v := .Limits}}{{$k}}={{$v}} {{end}}`),
		Data: m.typeOf(t, "*Config"), Pkg: m.pkg, FuncName: "renderUsage",
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := res.File("main")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "usage.golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update)", err)
	}
	if string(got) != string(want) {
		t.Errorf("generated code differs from %s (go test -run TestGolden -update):\n%s", path, got)
	}
}
