package export

import (
	"fmt"
	"io"
	"os"
)

func init() {
	Register("stdout", func(c Config) (Exporter, error) {
		return &writerExporter{w: os.Stdout, prefix: c.Prefix}, nil
	})
}

// writerExporter prints one "name value" line per metric.
type writerExporter struct {
	w      io.Writer
	prefix string
}

func (e *writerExporter) Export(ms []Metric) error {
	for _, m := range ms {
		if _, err := fmt.Fprintf(e.w, "%s%s %g\n", e.prefix, m.Name, m.Value); err != nil {
			return err
		}
	}
	return nil
}
