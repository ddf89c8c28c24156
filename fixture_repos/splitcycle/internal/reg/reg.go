// Package reg keeps a registry of named HTTP handlers. It imports core
// to register core's service under core.Name(), so core itself can
// never import reg.
package reg

import (
	"net/http"
	"sort"

	"example.com/splitcycle/internal/core"
)

var handlers = map[string]http.Handler{}

func init() {
	Register(core.Name(), core.Default)
}

// Register adds h under name.
func Register(name string, h http.Handler) {
	handlers[name] = h
}

// Names returns the registered names, sorted.
func Names() []string {
	out := make([]string, 0, len(handlers))
	for n := range handlers {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Mux returns a ServeMux with every handler mounted at /<name>/.
func Mux() *http.ServeMux {
	mux := http.NewServeMux()
	for n, h := range handlers {
		mux.Handle("/"+n+"/", h)
	}
	return mux
}
