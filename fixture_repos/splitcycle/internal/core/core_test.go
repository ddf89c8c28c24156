package core

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestName(t *testing.T) {
	if Name() != "splitcycle/1.4.2" {
		t.Fatalf("Name = %q", Name())
	}
	rec := httptest.NewRecorder()
	Default.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if strings.TrimSpace(rec.Body.String()) != Name() {
		t.Fatalf("body = %q", rec.Body.String())
	}
}
