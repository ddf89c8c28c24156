package store

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	s := New()
	h := s.Handler()

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("PUT", "/notes/a", strings.NewReader("hello")))
	if rec.Code != 204 {
		t.Fatalf("PUT status %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/notes", nil))
	if got := strings.TrimSpace(rec.Body.String()); got != `[{"id":"a","text":"hello"}]` {
		t.Fatalf("GET body %q", got)
	}
}
