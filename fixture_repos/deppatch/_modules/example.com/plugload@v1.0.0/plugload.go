// Package plugload lists items from a built-in source or from a Go plugin.
// On platforms with Go plugin support (plugload_unix.go) it links the
// standard plugin package: with cgo on, that puts the linker in
// dynamic-linking mode, which keeps every method of every reachable type.
package plugload

import "sort"

// Source produces items.
type Source interface {
	Items() []string
}

type builtin struct{}

func (builtin) Items() []string {
	items := []string{"pear", "apple", "fig"}
	sort.Strings(items)
	return items
}

// Builtin returns the built-in source.
func Builtin() Source { return builtin{} }
