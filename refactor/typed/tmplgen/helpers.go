package tmplgen

import (
	"go/types"
	"strings"
)

// helper is a function copied into the generated code (P_ stands for the prefix). The bodies are
// copied from Go's text/template and html/template (Copyright The Go Authors, BSD licence), minus
// what the generator refuses (html/template's content types), so their results are the library's.
type helper struct {
	src     string
	version func(minor int) string // when the copied code differs between Go versions
	imports []string
	deps    []string
	decls   []string
}

// goLicence heads the copied helpers in the generated code (BSD licence: keep the notice).
const goLicence = `// The helpers below are copied from Go's text/template and html/template:
// Copyright 2011 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style license that can be found in Go's LICENSE file.

`

var helperSrc = map[string]helper{
	"recover": {
		imports: []string{"fmt"},
		decls:   []string{"recover"},
		src: `// P_recover turns a panic of the called function into its error, as text/template's safeCall does.
func P_recover(errp *error) {
	if r := recover(); r != nil {
		if e, ok := r.(error); ok {
			*errp = e
		} else {
			*errp = fmt.Errorf("%v", r)
		}
	}
}
`,
	},
	maxDepthName: {
		imports: []string{"runtime"},
		decls:   []string{"maxExecDepth", "initMaxExecDepth"},
		src: `// P_maxExecDepth is text/template's limit on nested template calls.
var P_maxExecDepth = P_initMaxExecDepth()

func P_initMaxExecDepth() int {
	if runtime.GOARCH == "wasm" {
		return 1000
	}
	return 100000
}
`,
	},
	"types": {
		imports: []string{"reflect", "fmt"},
		decls:   []string{"errorType", "fmtStringerType"},
		src: `var (
	P_errorType       = reflect.TypeOf((*error)(nil)).Elem()
	P_fmtStringerType = reflect.TypeOf((*fmt.Stringer)(nil)).Elem()
)
`,
	},
	"indirect": {
		imports: []string{"reflect"},
		decls:   []string{"indirect"},
		src: `// P_indirect is text/template's indirect.
func P_indirect(v reflect.Value) (rv reflect.Value, isNil bool) {
	for ; v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface; v = v.Elem() {
		if v.IsNil() {
			return v, true
		}
	}
	return v, false
}
`,
	},
	"printableValue": {
		imports: []string{"reflect"},
		deps:    []string{"indirect", "types"},
		decls:   []string{"printableValue"},
		src: `// P_printableValue is text/template's printableValue.
func P_printableValue(v reflect.Value) (interface{}, bool) {
	if v.Kind() == reflect.Pointer {
		v, _ = P_indirect(v) // fmt.Fprint handles nil.
	}
	if !v.IsValid() {
		return "<no value>", true
	}

	if !v.Type().Implements(P_errorType) && !v.Type().Implements(P_fmtStringerType) {
		if v.CanAddr() && (reflect.PointerTo(v.Type()).Implements(P_errorType) || reflect.PointerTo(v.Type()).Implements(P_fmtStringerType)) {
			v = v.Addr()
		} else {
			switch v.Kind() {
			case reflect.Chan, reflect.Func:
				return nil, false
			}
		}
	}
	return v.Interface(), true
}
`,
	},
	"isTrue": {
		imports: []string{"reflect"},
		decls:   []string{"isTrue"},
		version: func(minor int) string {
			ptrs := "reflect.Chan, reflect.Func, reflect.Pointer, reflect.UnsafePointer, reflect.Interface"
			if minor < 25 {
				ptrs = "reflect.Chan, reflect.Func, reflect.Pointer, reflect.Interface"
			}
			return `// P_isTrue is text/template's isTrue.
func P_isTrue(val reflect.Value) (truth, ok bool) {
	if !val.IsValid() {
		// Something like var x interface{}, never set. It's a form of nil.
		return false, true
	}
	switch val.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		truth = val.Len() > 0
	case reflect.Bool:
		truth = val.Bool()
	case reflect.Complex64, reflect.Complex128:
		truth = val.Complex() != 0
	case ` + ptrs + `:
		truth = !val.IsNil()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		truth = val.Int() != 0
	case reflect.Float32, reflect.Float64:
		truth = val.Float() != 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		truth = val.Uint() != 0
	case reflect.Struct:
		truth = true // Struct values are always true.
	default:
		return
	}
	return truth, true
}
`
		},
	},
	"length": {
		imports: []string{"reflect", "fmt"},
		deps:    []string{"indirect"},
		decls:   []string{"length"},
		src: `// P_length is text/template's len builtin.
func P_length(item reflect.Value) (int, error) {
	item, isNil := P_indirect(item)
	if isNil {
		return 0, fmt.Errorf("len of nil pointer")
	}
	switch item.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return item.Len(), nil
	}
	return 0, fmt.Errorf("len of type %s", item.Type())
}
`,
	},
	"evalArgs": {
		imports: []string{"reflect", "fmt"},
		deps:    []string{"printableValue"},
		decls:   []string{"evalArgs"},
		src: `// P_evalArgs is text/template's evalArgs.
func P_evalArgs(args []interface{}) string {
	ok := false
	var s string
	// Fast path for simple common case.
	if len(args) == 1 {
		s, ok = args[0].(string)
	}
	if !ok {
		for i, arg := range args {
			a, ok := P_printableValue(reflect.ValueOf(arg))
			if ok {
				args[i] = a
			} // else let fmt do its thing
		}
		s = fmt.Sprint(args...)
	}
	return s
}
`,
	},
	"HTMLEscaper": {
		imports: []string{"strings"},
		deps:    []string{"evalArgs"},
		decls:   []string{"HTMLEscaper", "HTMLEscapeString"},
		src: `// P_HTMLEscaper is text/template's html builtin.
func P_HTMLEscaper(args ...interface{}) string {
	return P_HTMLEscapeString(P_evalArgs(args))
}

// P_HTMLEscapeString is text/template's HTMLEscapeString.
func P_HTMLEscapeString(s string) string {
	// Avoid allocation if we can.
	if !strings.ContainsAny(s, "'\"&<>\000") {
		return s
	}
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var html string
		switch s[i] {
		case '\000':
			html = "\uFFFD"
		case '"':
			html = "&#34;"
		case '\'':
			html = "&#39;"
		case '&':
			html = "&amp;"
		case '<':
			html = "&lt;"
		case '>':
			html = "&gt;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(html)
		last = i + 1
	}
	b.WriteString(s[last:])
	return b.String()
}
`,
	},
	"JSEscaper": {
		imports: []string{"strings", "unicode", "unicode/utf8", "fmt"},
		deps:    []string{"evalArgs"},
		decls:   []string{"JSEscaper", "JSEscapeString", "jsIsSpecial"},
		src: `// P_JSEscaper is text/template's js builtin.
func P_JSEscaper(args ...interface{}) string {
	return P_JSEscapeString(P_evalArgs(args))
}

// P_JSEscapeString is text/template's JSEscapeString.
func P_JSEscapeString(s string) string {
	// Avoid allocation if we can.
	if strings.IndexFunc(s, P_jsIsSpecial) < 0 {
		return s
	}
	var w strings.Builder
	b := []byte(s)
	const hex = "0123456789ABCDEF"
	last := 0
	for i := 0; i < len(b); i++ {
		c := b[i]

		if !P_jsIsSpecial(rune(c)) {
			// fast path: nothing to do
			continue
		}
		w.Write(b[last:i])

		if c < utf8.RuneSelf {
			// Quotes, slashes and angle brackets get quoted.
			// Control characters get written as \u00XX.
			switch c {
			case '\\':
				w.WriteString(` + "`\\\\`" + `)
			case '\'':
				w.WriteString(` + "`\\'`" + `)
			case '"':
				w.WriteString(` + "`\\\"`" + `)
			case '<':
				w.WriteString(` + "`\\u003C`" + `)
			case '>':
				w.WriteString(` + "`\\u003E`" + `)
			case '&':
				w.WriteString(` + "`\\u0026`" + `)
			case '=':
				w.WriteString(` + "`\\u003D`" + `)
			default:
				w.WriteString(` + "`\\u00`" + `)
				t, b := c>>4, c&0x0f
				w.WriteString(hex[t : t+1])
				w.WriteString(hex[b : b+1])
			}
		} else {
			// Unicode rune.
			r, size := utf8.DecodeRune(b[i:])
			if unicode.IsPrint(r) {
				w.Write(b[i : i+size])
			} else {
				fmt.Fprintf(&w, "\\u%04X", r)
			}
			i += size - 1
		}
		last = i + 1
	}
	w.Write(b[last:])
	return w.String()
}

func P_jsIsSpecial(r rune) bool {
	switch r {
	case '\\', '\'', '"', '<', '>', '&', '=':
		return true
	}
	return r < ' ' || utf8.RuneSelf <= r
}
`,
	},
	"URLQueryEscaper": {
		imports: []string{"net/url"},
		deps:    []string{"evalArgs"},
		decls:   []string{"URLQueryEscaper"},
		src: `// P_URLQueryEscaper is text/template's urlquery builtin.
func P_URLQueryEscaper(args ...interface{}) string {
	return url.QueryEscape(P_evalArgs(args))
}
`,
	},
	"compare": {
		imports: []string{"reflect", "fmt", "errors"},
		decls: []string{"errBadComparisonType", "errNoComparison", "basicKind", "isNil", "canCompare", "indirectInterface",
			"eq", "ne", "lt", "le", "gt", "ge", "kind", "invalidKind", "boolKind", "complexKind", "intKind", "floatKind", "stringKind", "uintKind"},
		version: func(minor int) string {
			incompat1 := `fmt.Errorf("incompatible types for comparison: %v and %v", arg1.Type(), arg.Type())`
			incompat2 := `fmt.Errorf("incompatible types for comparison: %v and %v", arg1.Type(), arg2.Type())`
			if minor < 25 {
				incompat1 = `errors.New("incompatible types for comparison")`
				incompat2 = incompat1
			}
			return `var (
	P_errBadComparisonType = errors.New("invalid type for comparison")
	P_errNoComparison      = errors.New("missing argument for comparison")
)

type P_kind int

const (
	P_invalidKind P_kind = iota
	P_boolKind
	P_complexKind
	P_intKind
	P_floatKind
	P_stringKind
	P_uintKind
)

// P_indirectInterface is text/template's indirectInterface.
func P_indirectInterface(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Interface {
		return v
	}
	if v.IsNil() {
		return reflect.Value{}
	}
	return v.Elem()
}

func P_basicKind(v reflect.Value) (P_kind, error) {
	switch v.Kind() {
	case reflect.Bool:
		return P_boolKind, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return P_intKind, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return P_uintKind, nil
	case reflect.Float32, reflect.Float64:
		return P_floatKind, nil
	case reflect.Complex64, reflect.Complex128:
		return P_complexKind, nil
	case reflect.String:
		return P_stringKind, nil
	}
	return P_invalidKind, P_errBadComparisonType
}

func P_isNil(v reflect.Value) bool {
	if !v.IsValid() {
		return true
	}
	switch v.Kind() {
	case reflect.Chan, reflect.Func, reflect.Interface, reflect.Map, reflect.Pointer, reflect.Slice:
		return v.IsNil()
	}
	return false
}

func P_canCompare(v1, v2 reflect.Value) bool {
	k1 := v1.Kind()
	k2 := v2.Kind()
	if k1 == k2 {
		return true
	}
	// We know the type can be compared to nil.
	return k1 == reflect.Invalid || k2 == reflect.Invalid
}

// P_eq is text/template's eq builtin.
func P_eq(arg1 reflect.Value, arg2 ...reflect.Value) (bool, error) {
	arg1 = P_indirectInterface(arg1)
	if len(arg2) == 0 {
		return false, P_errNoComparison
	}
	k1, _ := P_basicKind(arg1)
	for _, arg := range arg2 {
		arg = P_indirectInterface(arg)
		k2, _ := P_basicKind(arg)
		truth := false
		if k1 != k2 {
			// Special case: Can compare integer values regardless of type's sign.
			switch {
			case k1 == P_intKind && k2 == P_uintKind:
				truth = arg1.Int() >= 0 && uint64(arg1.Int()) == arg.Uint()
			case k1 == P_uintKind && k2 == P_intKind:
				truth = arg.Int() >= 0 && arg1.Uint() == uint64(arg.Int())
			default:
				if arg1.IsValid() && arg.IsValid() {
					return false, ` + incompat1 + `
				}
			}
		} else {
			switch k1 {
			case P_boolKind:
				truth = arg1.Bool() == arg.Bool()
			case P_complexKind:
				truth = arg1.Complex() == arg.Complex()
			case P_floatKind:
				truth = arg1.Float() == arg.Float()
			case P_intKind:
				truth = arg1.Int() == arg.Int()
			case P_stringKind:
				truth = arg1.String() == arg.String()
			case P_uintKind:
				truth = arg1.Uint() == arg.Uint()
			default:
				if !P_canCompare(arg1, arg) {
					return false, fmt.Errorf("non-comparable types %s: %v, %s: %v", arg1, arg1.Type(), arg.Type(), arg)
				}
				if P_isNil(arg1) || P_isNil(arg) {
					truth = P_isNil(arg) == P_isNil(arg1)
				} else {
					if !arg.Type().Comparable() {
						return false, fmt.Errorf("non-comparable type %s: %v", arg, arg.Type())
					}
					truth = arg1.Interface() == arg.Interface()
				}
			}
		}
		if truth {
			return true, nil
		}
	}
	return false, nil
}

// P_ne is text/template's ne builtin.
func P_ne(arg1, arg2 reflect.Value) (bool, error) {
	// != is the inverse of ==.
	equal, err := P_eq(arg1, arg2)
	return !equal, err
}

// P_lt is text/template's lt builtin.
func P_lt(arg1, arg2 reflect.Value) (bool, error) {
	arg1 = P_indirectInterface(arg1)
	k1, err := P_basicKind(arg1)
	if err != nil {
		return false, err
	}
	arg2 = P_indirectInterface(arg2)
	k2, err := P_basicKind(arg2)
	if err != nil {
		return false, err
	}
	truth := false
	if k1 != k2 {
		// Special case: Can compare integer values regardless of type's sign.
		switch {
		case k1 == P_intKind && k2 == P_uintKind:
			truth = arg1.Int() < 0 || uint64(arg1.Int()) < arg2.Uint()
		case k1 == P_uintKind && k2 == P_intKind:
			truth = arg2.Int() >= 0 && arg1.Uint() < uint64(arg2.Int())
		default:
			return false, ` + incompat2 + `
		}
	} else {
		switch k1 {
		case P_boolKind, P_complexKind:
			return false, P_errBadComparisonType
		case P_floatKind:
			truth = arg1.Float() < arg2.Float()
		case P_intKind:
			truth = arg1.Int() < arg2.Int()
		case P_stringKind:
			truth = arg1.String() < arg2.String()
		case P_uintKind:
			truth = arg1.Uint() < arg2.Uint()
		default:
			panic("invalid kind")
		}
	}
	return truth, nil
}

// P_le is text/template's le builtin.
func P_le(arg1, arg2 reflect.Value) (bool, error) {
	// <= is < or ==.
	lessThan, err := P_lt(arg1, arg2)
	if lessThan || err != nil {
		return lessThan, err
	}
	return P_eq(arg1, arg2)
}

// P_gt is text/template's gt builtin.
func P_gt(arg1, arg2 reflect.Value) (bool, error) {
	// > is the inverse of <=.
	lessOrEqual, err := P_le(arg1, arg2)
	if err != nil {
		return false, err
	}
	return !lessOrEqual, nil
}

// P_ge is text/template's ge builtin.
func P_ge(arg1, arg2 reflect.Value) (bool, error) {
	// >= is the inverse of <.
	lessThan, err := P_lt(arg1, arg2)
	if err != nil {
		return false, err
	}
	return !lessThan, nil
}
`
		},
	},
	// html/template
	"htmlStringify": {
		imports: []string{"reflect", "fmt"},
		deps:    []string{"types"},
		decls:   []string{"htmlIndirect", "indirectToStringerOrError", "stringify"},
		src: `// P_htmlIndirect is html/template's indirect.
func P_htmlIndirect(a interface{}) interface{} {
	if a == nil {
		return nil
	}
	if t := reflect.TypeOf(a); t.Kind() != reflect.Pointer {
		// Avoid creating a reflect.Value if it's not a pointer.
		return a
	}
	v := reflect.ValueOf(a)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

// P_indirectToStringerOrError is html/template's indirectToStringerOrError.
func P_indirectToStringerOrError(a interface{}) interface{} {
	if a == nil {
		return nil
	}
	v := reflect.ValueOf(a)
	for !v.Type().Implements(P_fmtStringerType) && !v.Type().Implements(P_errorType) && v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	return v.Interface()
}

// P_stringify is html/template's stringify for values that are none of its content types
// (the generator refuses those).
func P_stringify(args ...interface{}) string {
	if len(args) == 1 {
		switch s := P_htmlIndirect(args[0]).(type) {
		case string:
			return s
		}
	}
	i := 0
	for _, arg := range args {
		// We skip untyped nil arguments for backward compatibility.
		// Without this they would be output as <nil>, escaped.
		// See issue 25875.
		if arg == nil {
			continue
		}

		args[i] = P_indirectToStringerOrError(arg)
		i++
	}
	return fmt.Sprint(args[:i]...)
}
`,
	},
	"htmlReplacer": {
		imports: []string{"strings", "unicode/utf8", "fmt"},
		decls:   []string{"htmlReplacer", "htmlReplacementTable", "htmlNospaceReplacementTable"},
		src: `// P_htmlReplacementTable is html/template's htmlReplacementTable.
var P_htmlReplacementTable = []string{
	0:    "\uFFFD",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'>':  "&gt;",
}

// P_htmlNospaceReplacementTable is html/template's htmlNospaceReplacementTable.
var P_htmlNospaceReplacementTable = []string{
	0:    "&#xfffd;",
	'\t': "&#9;",
	'\n': "&#10;",
	'\v': "&#11;",
	'\f': "&#12;",
	'\r': "&#13;",
	' ':  "&#32;",
	'"':  "&#34;",
	'&':  "&amp;",
	'\'': "&#39;",
	'+':  "&#43;",
	'<':  "&lt;",
	'=':  "&#61;",
	'>':  "&gt;",
	'` + "`" + `': "&#96;",
}

// P_htmlReplacer is html/template's htmlReplacer.
func P_htmlReplacer(s string, replacementTable []string, badRunes bool) string {
	written, b := 0, new(strings.Builder)
	r, w := rune(0), 0
	for i := 0; i < len(s); i += w {
		// Cannot use 'for range s' because we need to preserve the width
		// of the runes in the input. If we see a decoding error, the input
		// width will not be utf8.Runelen(r) and we will overrun the buffer.
		r, w = utf8.DecodeRuneInString(s[i:])
		if int(r) < len(replacementTable) {
			if repl := replacementTable[r]; len(repl) != 0 {
				if written == 0 {
					b.Grow(len(s))
				}
				b.WriteString(s[written:i])
				b.WriteString(repl)
				written = i + w
			}
		} else if badRunes {
			// No-op.
			// IE does not allow these ranges in unquoted attrs.
		} else if 0xfdd0 <= r && r <= 0xfdef || 0xfff0 <= r && r <= 0xffff {
			if written == 0 {
				b.Grow(len(s))
			}
			fmt.Fprintf(b, "%s&#x%x;", s[written:i], r)
			written = i + w
		}
	}
	if written == 0 {
		return s
	}
	b.WriteString(s[written:])
	return b.String()
}
`,
	},
	"htmlEscaper": {
		deps:  []string{"htmlStringify", "htmlReplacer"},
		decls: []string{"htmlEscaper"},
		src: `// P_htmlEscaper is html/template's htmlEscaper (HTML text).
func P_htmlEscaper(args ...interface{}) string {
	return P_htmlReplacer(P_stringify(args...), P_htmlReplacementTable, true)
}
`,
	},
	"attrEscaper": {
		deps:  []string{"htmlStringify", "htmlReplacer"},
		decls: []string{"attrEscaper"},
		src: `// P_attrEscaper is html/template's attrEscaper (quoted attribute values).
func P_attrEscaper(args ...interface{}) string {
	return P_htmlReplacer(P_stringify(args...), P_htmlReplacementTable, true)
}
`,
	},
	"rcdataEscaper": {
		deps:  []string{"htmlStringify", "htmlReplacer"},
		decls: []string{"rcdataEscaper"},
		src: `// P_rcdataEscaper is html/template's rcdataEscaper (textarea, title).
func P_rcdataEscaper(args ...interface{}) string {
	return P_htmlReplacer(P_stringify(args...), P_htmlReplacementTable, true)
}
`,
	},
	"htmlNospaceEscaper": {
		deps:  []string{"htmlStringify", "htmlReplacer"},
		decls: []string{"htmlNospaceEscaper"},
		src: `// P_htmlNospaceEscaper is html/template's htmlNospaceEscaper (unquoted attribute values).
func P_htmlNospaceEscaper(args ...interface{}) string {
	s := P_stringify(args...)
	if s == "" {
		return "ZgotmplZ"
	}
	return P_htmlReplacer(s, P_htmlNospaceReplacementTable, false)
}
`,
	},
	"commentEscaper": {
		decls: []string{"commentEscaper"},
		src: `// P_commentEscaper is html/template's commentEscaper: nothing is written into a comment.
func P_commentEscaper(args ...interface{}) string {
	return ""
}
`,
	},
	"htmlEvalArgs": {
		imports: []string{"fmt"},
		deps:    []string{"htmlStringify"},
		decls:   []string{"htmlEvalArgs"},
		src: `// P_htmlEvalArgs is html/template's evalArgs.
func P_htmlEvalArgs(args ...interface{}) string {
	// Optimization for simple common case of a single string argument.
	if len(args) == 1 {
		if s, ok := args[0].(string); ok {
			return s
		}
	}
	for i, arg := range args {
		args[i] = P_indirectToStringerOrError(arg)
	}
	return fmt.Sprint(args...)
}
`,
	},
}

// htmlFuncs maps html/template's escaper names to the copied helpers.
var htmlFuncs = map[string]string{
	"_html_template_htmlescaper":    "htmlEscaper",
	"_html_template_attrescaper":    "attrEscaper",
	"_html_template_rcdataescaper":  "rcdataEscaper",
	"_html_template_nospaceescaper": "htmlNospaceEscaper",
	"_html_template_commentescaper": "commentEscaper",
	"_eval_args_":                   "htmlEvalArgs",
}

// htmlRefused names the contexts of the escapers that are not reproduced.
var htmlRefused = map[string]string{
	"_html_template_urlfilter":        "a URL",
	"_html_template_urlnormalizer":    "a URL",
	"_html_template_urlescaper":       "a URL query or fragment",
	"_html_template_jsvalescaper":     "JavaScript",
	"_html_template_jsstrescaper":     "a JavaScript string",
	"_html_template_jsregexpescaper":  "a JavaScript regular expression",
	"_html_template_jstmpllitescaper": "a JavaScript template literal",
	"_html_template_cssescaper":       "CSS",
	"_html_template_cssvaluefilter":   "CSS",
	"_html_template_htmlnamefilter":   "an attribute or tag name",
	"_html_template_srcsetescaper":    "a srcset attribute",
}

var contentTypes = map[string]bool{"CSS": true, "HTML": true, "HTMLAttr": true, "JS": true, "JSStr": true, "URL": true, "Srcset": true}

// checkHTMLArg refuses an argument of an html/template escaper that could be one of html/template's
// content types (which the copied stringify does not treat specially).
func (g *gen) checkHTMLArg(name string, k int, a value) {
	if name == "_eval_args_" || name == "_html_template_commentescaper" {
		return
	}
	if a.t == nil {
		return
	}
	t := a.t
	if a.orig != nil {
		t = a.orig
		a = value{t: a.orig}
	}
	for {
		if isInterface(t) {
			if isEmptyInterface(t) || a.dyn {
				g.refuse("a value of interface type %s printed by html/template: it could hold one of html/template's content types (template.HTML...), whose escaping is not reproduced", reflectString(a.t))
			}
			return
		}
		p, ok := t.Underlying().(*types.Pointer)
		if !ok {
			break
		}
		t = p.Elem()
	}
	if n, ok := t.(*types.Named); ok && n.Obj().Pkg() != nil && n.Obj().Pkg().Path() == "html/template" && contentTypes[n.Obj().Name()] {
		g.refuse("a value of type %s printed by html/template: its content-type escaping is not reproduced", reflectString(a.t))
	}
}

// htmlFuncFor returns the helper for an html/template function, refusing the contexts not reproduced.
func (g *gen) htmlFuncFor(name string) (string, bool) {
	if h, ok := htmlFuncs[name]; ok {
		return h, true
	}
	if ctx, ok := htmlRefused[name]; ok {
		g.refuse("the action is in %s context in HTML (html/template escapes it with %s), which gotrim does not reproduce", ctx, strings.TrimPrefix(name, "_html_template_"))
	}
	return "", false
}
