//go:build !plan9

package export

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net/http"
	"time"
)

func init() {
	Register("http", func(c Config) (Exporter, error) {
		return NewHTTPExporter(c.HTTP)
	})
}

// HTTPOptions configures the HTTP exporter. It is part of Config.
type HTTPOptions struct {
	// URL receives the metrics with POST requests.
	URL string
	// Timeout bounds each request; zero means 10 seconds.
	Timeout time.Duration
	// InsecureSkipVerify disables TLS certificate checks.
	InsecureSkipVerify bool
}

// HTTPExporter posts metrics as text lines to a URL.
type HTTPExporter struct {
	opts   HTTPOptions
	client *http.Client
}

// NewHTTPExporter returns an exporter posting to opts.URL.
func NewHTTPExporter(opts HTTPOptions) (*HTTPExporter, error) {
	if opts.URL == "" {
		return nil, fmt.Errorf("export: http exporter needs a URL")
	}
	if opts.Timeout == 0 {
		opts.Timeout = 10 * time.Second
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: opts.InsecureSkipVerify}}
	return &HTTPExporter{opts: opts, client: &http.Client{Timeout: opts.Timeout, Transport: tr}}, nil
}

// Endpoint returns the URL metrics are posted to.
func (e *HTTPExporter) Endpoint() string { return e.opts.URL }

// Export posts ms in one request.
func (e *HTTPExporter) Export(ms []Metric) error {
	var body bytes.Buffer
	for _, m := range ms {
		fmt.Fprintf(&body, "%s %g %d\n", m.Name, m.Value, m.At.Unix())
	}
	resp, err := e.client.Post(e.opts.URL, "text/plain", &body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("export: %s: %s", e.opts.URL, resp.Status)
	}
	return nil
}

// Flush posts the batch to url with a default HTTP exporter.
func (b *Batch) Flush(url string) error {
	e, err := NewHTTPExporter(HTTPOptions{URL: url})
	if err != nil {
		return err
	}
	return b.Send(e)
}
