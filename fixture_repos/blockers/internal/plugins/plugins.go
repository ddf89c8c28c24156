// Package plugins loads extra item sources. On platforms with Go plugin
// support (plugins_unix.go) it links the standard plugin package: with
// cgo on, that puts the linker in dynamic-linking mode, which keeps every
// method of every reachable type.
package plugins

import "example.com/blockers/internal/model"

// Source produces items.
type Source interface {
	Items() []model.Item
}

// builtin is the source used when no plugin is loaded.
type builtin struct{}

func (builtin) Items() []model.Item { return model.Sample() }

// Builtin returns the built-in source.
func Builtin() Source { return builtin{} }
