package export

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHTTPExporter(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got = string(body)
	}))
	defer srv.Close()

	e, err := New("http", Config{HTTP: HTTPOptions{URL: srv.URL}})
	if err != nil {
		t.Fatal(err)
	}
	// Endpoint is only used here, by this test.
	if he := e.(*HTTPExporter); he.Endpoint() != srv.URL {
		t.Fatalf("Endpoint = %q", he.Endpoint())
	}
	var b Batch
	b.Add("mem", 42)
	if err := b.Send(e); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "mem 42 ") {
		t.Fatalf("posted %q", got)
	}
	if err := b.Flush(srv.URL); err != nil {
		t.Fatal(err)
	}
}
