package export

import (
	"bytes"
	"testing"
)

func TestWriterExporter(t *testing.T) {
	var out bytes.Buffer
	var b Batch
	b.Add("cpu", 0.5)
	if err := b.Send(&writerExporter{w: &out, prefix: "host."}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "host.cpu 0.5\n" || b.Len() != 0 {
		t.Fatalf("out = %q, len = %d", out.String(), b.Len())
	}
}

func TestUnknownExporter(t *testing.T) {
	if _, err := New("nope", Config{}); err == nil {
		t.Fatal("want an error")
	}
}
