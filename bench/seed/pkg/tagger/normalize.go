package tagger

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// NormalizeTag applies the backend's tag rules to s: it lowercases it,
// replaces every character that is not a letter, digit, or one of
// "_-:./" with an underscore, collapses runs of underscores, drops leading
// characters up to the first letter, trims trailing underscores, and cuts
// the result to MaxTagLength bytes on a rune boundary.
func NormalizeTag(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	started := false
	lastUnderscore := false
	for _, r := range s {
		if !started {
			if !unicode.IsLetter(r) {
				continue
			}
			started = true
		}
		r = unicode.ToLower(r)
		switch {
		case unicode.IsLetter(r), unicode.IsDigit(r), strings.ContainsRune(":./-", r):
			lastUnderscore = false
		default:
			if lastUnderscore {
				continue
			}
			r = '_'
			lastUnderscore = true
		}
		if b.Len()+utf8.RuneLen(r) > MaxTagLength {
			break
		}
		b.WriteRune(r)
	}
	return strings.TrimRight(b.String(), "_")
}

// NormalizeAll normalizes every tag of tags and drops the ones that end up empty.
func NormalizeAll(tags []string) []Tag {
	out := make([]Tag, 0, len(tags))
	for _, t := range tags {
		if n := NormalizeTag(t); n != "" {
			out = append(out, Tag(n))
		}
	}
	return out
}
