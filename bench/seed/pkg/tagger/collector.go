package tagger

import (
	"context"
	"fmt"
	"sort"
	"sync"

	"example.com/seed/pkg/config"
)

// Collector is a source of tags for entities. An entity ID has the form
// "kind://id", for example "kubernetes_pod://default/web-0".
type Collector interface {
	// Name is the name the collector was registered under.
	Name() string
	// Tags returns the tags the collector knows for entity, or nil if the
	// entity is not one it handles.
	Tags(ctx context.Context, entity string) ([]Tag, error)
}

// Factory builds a collector from the agent configuration. It returns
// ErrDisabled when the collector does not apply (for example the Kubernetes
// collector outside a cluster).
type Factory func(cfg config.Config) (Collector, error)

// ErrDisabled is returned by a Factory whose collector does not apply.
var ErrDisabled = fmt.Errorf("tagger: collector disabled")

var (
	registryMu sync.RWMutex
	registry   = map[string]Factory{}
)

// Register makes a collector factory available under name. It is meant to
// be called from init functions and panics on a duplicate name.
func Register(name string, f Factory) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("tagger: collector registered twice: " + name)
	}
	registry[name] = f
}

// Registered returns the names of the registered collectors, sorted.
func Registered() []string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func factory(name string) (Factory, bool) {
	registryMu.RLock()
	defer registryMu.RUnlock()
	f, ok := registry[name]
	return f, ok
}
