//go:build plan9

package export

import (
	"errors"
	"time"
)

// errNoHTTP is returned by every HTTP function of this build.
var errNoHTTP = errors.New("export: http exporter not available in this build")

// HTTPOptions configures the HTTP exporter. It is part of Config.
type HTTPOptions struct {
	URL                string
	Timeout            time.Duration
	InsecureSkipVerify bool
}

// HTTPExporter is not available in this build.
type HTTPExporter struct {
	opts HTTPOptions
}

// NewHTTPExporter always fails in this build.
func NewHTTPExporter(opts HTTPOptions) (*HTTPExporter, error) { return nil, errNoHTTP }

// Endpoint returns the configured URL.
func (e *HTTPExporter) Endpoint() string { return e.opts.URL }

// Export always fails in this build.
func (e *HTTPExporter) Export(ms []Metric) error { return errNoHTTP }

// Flush always fails in this build.
func (b *Batch) Flush(url string) error { return errNoHTTP }
