package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"example.com/seed/pkg/tagger"
)

func TestHandleTracesNormalizesService(t *testing.T) {
	r := newReceiver([]tagger.Tag{"env:test"}, time.Second)
	body := `[[{"trace_id":1,"span_id":2,"service":"Web Frontend","name":"http.request"}]]`
	rec := httptest.NewRecorder()
	r.routes().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v0.4/traces", strings.NewReader(body)))
	if rec.Code != http.StatusAccepted {
		t.Fatalf("status = %d: %s", rec.Code, rec.Body)
	}
	if len(r.pending) != 1 || r.pending[0].Service != "web_frontend" {
		t.Fatalf("pending = %+v", r.pending)
	}
}
