// Package splitlib holds small string helpers shared by the split
// fixture. It is a separate module wired in with a local replace
// directive, so it builds without any network access.
package splitlib

import (
	"strings"
	"unicode"
)

// Title upper-cases the first letter of every space-separated word of s.
func Title(s string) string {
	words := strings.Fields(s)
	for i, w := range words {
		r := []rune(w)
		r[0] = unicode.ToUpper(r[0])
		words[i] = string(r)
	}
	return strings.Join(words, " ")
}
