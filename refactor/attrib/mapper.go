package main

// Symbol names -> owners (shared/notes/go-toolchain.md §4.2): a package's import path, or a named bucket.

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Named buckets: bytes that belong to no package but whose nature is known.
const (
	bDWARF     = "dwarf"
	bSymtab    = "symtab+strtab"
	bPCLN      = "pclntab header/tables"
	bFuncdata  = "funcdata (shared)"
	bTypes     = "runtime type metadata"
	bStrings   = "strings"
	bPadding   = "padding"
	bHeaders   = "elf headers"
	bBuildinfo = "buildinfo"
	bCgo       = "cgo/C"
	bGenerated = "compiler-generated"
	bDynamic   = "dynamic linking"
)

type owner struct{ kind, name string }

func pkgOwner(path string) owner { return owner{"pkg", path} }
func bucket(name string) owner   { return owner{"bucket", name} }
func (o owner) isPkg() bool      { return o.kind == "pkg" }

// Runtime symbols that are really tables of the whole binary, not code or data of package runtime.
var specialSymbols = map[string]string{
	"runtime.findfunctab": bPCLN, "runtime.pclntab": bPCLN, "runtime.typelink": bTypes,
	"runtime.itablink": bTypes, "runtime.firstmoduledata": bTypes, "runtime.textsectionmap": bPCLN,
	"go:buildinfo": bBuildinfo, "go:buildinfo.ref": bBuildinfo, "go:fipsinfo": bBuildinfo,
	// dynamic-linking mode's module data (cmd/link lib.go)
	"local.moduledata": bTypes, "local.pluginmoduledata": bTypes,
}

// pathToPrefix is objabi.PathToPrefix: the symbol prefix the compiler uses for an import path.
func pathToPrefix(path string) string {
	slash := -1 // in characters, as the compiler's loop over bytes compares it (ASCII paths: the same)
	for i, r := 0, []rune(path); i < len(r); i++ {
		if r[i] == '/' {
			slash = i
		}
	}
	var b strings.Builder
	for i := 0; i < len(path); i++ {
		ch := path[i]
		if ch <= 0x20 || (ch == '.' && i > slash) || ch == '%' || ch == '"' || ch >= 0x7F {
			fmt.Fprintf(&b, "%%%02x", ch)
		} else {
			b.WriteByte(ch)
		}
	}
	return b.String()
}

// unescape undoes %xx escapes of a symbol prefix.
func unescape(prefix string) string {
	if !strings.Contains(prefix, "%") {
		return prefix
	}
	var b []byte
	for i := 0; i < len(prefix); {
		if prefix[i] == '%' && i+2 < len(prefix) && isHex(prefix[i+1]) && isHex(prefix[i+2]) {
			b = append(b, unhex(prefix[i+1])<<4|unhex(prefix[i+2]))
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(prefix[i:])
		if r <= 0xFF && !(r == utf8.RuneError && n == 1) {
			b = append(b, byte(r))
		} else {
			b = append(b, '?')
		}
		i += n
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// stripBrackets removes every balanced [...] group (generic instantiation arguments).
func stripBrackets(name string) string {
	b := make([]byte, 0, len(name))
	depth := 0
	for i := 0; i < len(name); i++ {
		switch ch := name[i]; {
		case ch == '[':
			depth++
		case ch == ']':
			if depth > 0 {
				depth--
			}
		case depth == 0:
			b = append(b, ch)
		}
	}
	return string(b)
}

// findFrom is Python's str.find(sub, start): the index of sub at or after start, or -1.
func findFrom(s, sub string, start int) int {
	if start > len(s) {
		return -1
	}
	if start < 0 {
		start = 0
	}
	i := strings.Index(s[start:], sub)
	if i < 0 {
		return -1
	}
	return start + i
}

type mapper struct {
	main     string
	prefixes map[string]string
	cache    map[string]owner
}

func newMapper(packages []string, main string) *mapper {
	m := &mapper{main: main, prefixes: make(map[string]string, len(packages)+1), cache: make(map[string]owner)}
	for _, p := range packages {
		m.prefixes[pathToPrefix(p)] = p
	}
	m.prefixes["main"] = main
	return m
}

// owner is the owner of a symbol name, remembered.
func (m *mapper) owner(name string) owner {
	if o, ok := m.cache[name]; ok {
		return o
	}
	o := m.owner1(name)
	if len(m.cache) < 1_000_000 {
		m.cache[name] = o
	}
	return o
}

// owner1 applies the rules of go-toolchain.md §4.2 in order.
func (m *mapper) owner1(name string) owner {
	if special := specialSymbols[name]; special != "" {
		return bucket(special)
	}
	// In dynamic-linking mode (plugin linked with cgo on) the linker writes a second, local symbol
	// "local.<name>" for every global function (cmd/link symtab.go putelfsym): the owner of <name>.
	// A package whose import path is "local" keeps its own symbols when the rest names no package.
	if rest, ok := strings.CutPrefix(name, "local."); ok && rest != "" {
		if _, isPkg := m.prefixes["local"]; !isPkg {
			return m.owner(rest)
		}
		if _, known := m.prefix(rest); known {
			return m.owner(rest)
		}
	}
	if name == "" || (name[0] != 'g' && name[0] != 't' && name[0] != '$') {
		return m.packageOwner(name) // a plain package symbol: none of the prefixes below
	}
	switch {
	case strings.HasPrefix(name, "go:link.pkghash"): // dynamic-linking mode: one per package, by its path
		for _, p := range []string{"go:link.pkghashbytes.", "go:link.pkghash."} {
			if path, ok := strings.CutPrefix(name, p); ok && path != "" {
				if path == "main" {
					path = m.main
				}
				return pkgOwner(path)
			}
		}
		return bucket(bGenerated)
	case strings.HasPrefix(name, "go:itab."):
		concrete, _, _ := strings.Cut(name[len("go:itab."):], ",")
		return m.typeOwner(concrete, bGenerated)
	case strings.HasPrefix(name, "type:."):
		for _, gen := range []string{"type:.eq.", "type:.hash."} {
			if strings.HasPrefix(name, gen) {
				return m.typeOwner(name[len(gen):], bGenerated)
			}
		}
		return bucket(bTypes)
	case strings.HasPrefix(name, "type:"):
		return m.typeOwner(name[len("type:"):], bTypes)
	case strings.HasPrefix(name, "go:string."):
		return bucket(bStrings)
	case strings.HasPrefix(name, "go:func.") || strings.HasPrefix(name, "gclocals·"):
		return bucket(bFuncdata)
	}
	for _, p := range []string{"go:", "go.shape.", "$f64.", "$f32.", "$i64.", "$i32."} {
		if strings.HasPrefix(name, p) {
			return bucket(bGenerated)
		}
	}
	return m.packageOwner(name)
}

// packageOwner is the owner of a symbol with none of the generated prefixes: a package's, or C's.
func (m *mapper) packageOwner(name string) owner {
	if strings.HasSuffix(name, ")") && strings.Contains(name, "(.") { // C object sections of a cgo package: `net(.text)`
		if pkg, ok := m.prefixes[name[:strings.Index(name, "(.")]]; ok {
			return pkgOwner(pkg)
		}
		return bucket(bCgo)
	}
	if !strings.Contains(name, ".") {
		return bucket(bCgo)
	}
	if pkg, ok := m.prefix(name); ok {
		return pkgOwner(pkg)
	}
	pkg, ok := m.fallback(name)
	if !ok || (!strings.Contains(pkg, "/") && cSuffixAt(name, utf8.RuneCountInString(pkg)+1)) {
		return bucket(bCgo) // `x_cgo_munmap.cold`, `completed.0`: C compiler labels
	}
	return pkgOwner(pkg)
}

// cSuffixAt: a C compiler's label suffix (cold, part, isra, ..., a digit) starts at character pos of name.
func cSuffixAt(name string, pos int) bool {
	r := []rune(name)
	if pos > len(r) {
		return false
	}
	rest := string(r[pos:])
	for _, w := range []string{"cold", "part", "isra", "constprop", "lto_priv", "localalias"} {
		if strings.HasPrefix(rest, w) {
			return true
		}
	}
	first, n := utf8.DecodeRuneInString(rest)
	return n > 0 && unicode.IsDigit(first)
}

// typeOwner is the owner of a type written in a symbol: the package of its first qualified identifier.
func (m *mapper) typeOwner(text, def string) owner {
	if strings.HasPrefix(text, "go.shape.") {
		return bucket(bGenerated)
	}
	stripped := strings.TrimLeft(text, "*[]0123456789")
	stripped = strings.TrimPrefix(stripped, "map[")
	if pkg, ok := m.prefix(stripped); ok {
		return pkgOwner(pkg)
	}
	for i := 0; i < len(text); {
		if !isTokenByte(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isTokenByte(text[j]) {
			j++
		}
		tok := text[i:j]
		i = j
		if strings.Contains(tok, ".") && !strings.HasPrefix(tok, "go.shape") {
			if pkg, ok := m.prefix(tok); ok {
				return pkgOwner(pkg)
			}
		}
	}
	return bucket(def)
}

// isTokenByte: [A-Za-z0-9_./%~+-]
func isTokenByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("_./%~+-", c) >= 0
}

// prefix is the longest known prefix of name that ends at a '.', as an import path.
func (m *mapper) prefix(name string) (string, bool) {
	if strings.Contains(name, "[") {
		name = stripBrackets(name)
	}
	// Escaped prefixes have no '.' after their last '/', so the prefix ending at the first '.'
	// after the name's last '/' is the longest one whenever it is known (the usual case).
	if dot := findFrom(name, ".", strings.LastIndex(name, "/")+1); dot > 0 {
		if hit, ok := m.prefixes[name[:dot]]; ok {
			return hit, true
		}
	}
	best, found := "", false
	for i := strings.Index(name, "."); i > 0; i = findFrom(name, ".", i+1) {
		if hit, ok := m.prefixes[name[:i]]; ok {
			best, found = hit, true
		}
	}
	return best, found
}

// fallback is debug/gosym's PackageName rule with the '(' fix, for packages missing from the graph.
func (m *mapper) fallback(name string) (string, bool) {
	name = stripBrackets(name)
	head := name
	if paren := strings.Index(name, "("); paren >= 0 {
		head = name[:paren]
	}
	dot := findFrom(name, ".", strings.LastIndex(head, "/")+1)
	if dot <= 0 {
		return "", false
	}
	pkg := unescape(name[:dot])
	if pkg == "main" {
		return m.main, true
	}
	return pkg, true
}
