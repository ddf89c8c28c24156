package main

import (
	"net/http/httptest"
	"testing"
)

func TestHealthz(t *testing.T) {
	rec := httptest.NewRecorder()
	healthz(rec, httptest.NewRequest("GET", "/healthz", nil))
	if rec.Body.String() != "ok\n" {
		t.Fatalf("body %q", rec.Body.String())
	}
}
