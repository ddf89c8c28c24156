// Package export sends metrics to pluggable exporters.
//
// The core (this file and stdout.go) needs only light packages. The HTTP
// exporter in http.go imports net/http and crypto/tls and registers
// itself from init; on plan9 http_stub.go replaces it.
package export

import (
	"fmt"
	"sort"
	"time"
)

// Metric is one measured value.
type Metric struct {
	Name  string
	Value float64
	At    time.Time
}

// Exporter delivers metrics somewhere.
type Exporter interface {
	Export(ms []Metric) error
}

// Config configures every exporter; each one reads its own part.
type Config struct {
	// Prefix is prepended to every metric name.
	Prefix string
	// HTTP configures the "http" exporter.
	HTTP HTTPOptions
}

// Factory builds an exporter from a configuration.
type Factory func(Config) (Exporter, error)

var factories = map[string]Factory{}

// Register makes a factory available under name. It panics on duplicates.
func Register(name string, f Factory) {
	if _, dup := factories[name]; dup {
		panic("export: duplicate exporter " + name)
	}
	factories[name] = f
}

// Names returns the registered exporter names, sorted.
func Names() []string {
	out := make([]string, 0, len(factories))
	for n := range factories {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// New builds the exporter registered under name.
func New(name string, c Config) (Exporter, error) {
	f, ok := factories[name]
	if !ok {
		return nil, fmt.Errorf("export: unknown exporter %q (have %v)", name, Names())
	}
	return f(c)
}

// Batch accumulates metrics before they are exported.
type Batch struct {
	metrics []Metric
}

// Add appends a metric measured now.
func (b *Batch) Add(name string, v float64) {
	b.metrics = append(b.metrics, Metric{Name: name, Value: v, At: time.Now()})
}

// Len returns the number of metrics in b.
func (b *Batch) Len() int { return len(b.metrics) }

// Send exports the batch with e and empties it.
func (b *Batch) Send(e Exporter) error {
	err := e.Export(b.metrics)
	b.metrics = b.metrics[:0]
	return err
}
