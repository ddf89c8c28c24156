package util

import (
	"strings"

	"example.com/splitlib"
)

// defaultName is used when Greeting is called with an empty name.
const defaultName = "gopher"

// Options controls how Greeting formats its message.
type Options struct {
	// Excited ends the greeting with an exclamation mark.
	Excited bool
	// Prefix replaces the default "Hello".
	Prefix string
}

// Greeting returns a friendly greeting for name.
func Greeting(name string, opts Options) string {
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "Hello"
	}
	msg := prefix + ", " + normalize(name)
	if opts.Excited {
		return msg + "!"
	}
	return msg + "."
}

// normalize trims name, falls back to defaultName and title-cases it.
func normalize(name string) string {
	name = strings.TrimSpace(name)
	if name == "" {
		name = defaultName
	}
	return splitlib.Title(name)
}
