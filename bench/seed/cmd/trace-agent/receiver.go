package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"example.com/seed/pkg/tagger"
)

// span is the subset of a span the agent looks at.
type span struct {
	TraceID  uint64            `json:"trace_id"`
	SpanID   uint64            `json:"span_id"`
	Service  string            `json:"service"`
	Name     string            `json:"name"`
	Resource string            `json:"resource"`
	Start    int64             `json:"start"`
	Duration int64             `json:"duration"`
	Meta     map[string]string `json:"meta,omitempty"`
}

// receiver buffers spans until the next flush.
type receiver struct {
	hostTags []tagger.Tag
	interval time.Duration

	mu      sync.Mutex
	pending []span
}

func newReceiver(hostTags []tagger.Tag, interval time.Duration) *receiver {
	return &receiver{hostTags: hostTags, interval: interval}
}

func (r *receiver) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v0.4/traces", r.handleTraces)
	mux.HandleFunc("GET /info", r.handleInfo)
	return mux
}

func (r *receiver) handleTraces(w http.ResponseWriter, req *http.Request) {
	var traces [][]span
	if err := json.NewDecoder(req.Body).Decode(&traces); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	for _, t := range traces {
		for _, s := range t {
			s.Service = tagger.NormalizeTag(s.Service)
			r.pending = append(r.pending, s)
		}
	}
	r.mu.Unlock()
	w.WriteHeader(http.StatusAccepted)
}

func (r *receiver) handleInfo(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"endpoints": []string{"/v0.4/traces"}, "host_tags": r.hostTags})
}

func (r *receiver) flushLoop(ctx context.Context) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			r.flush()
			return
		case <-t.C:
			r.flush()
		}
	}
}

func (r *receiver) flush() {
	r.mu.Lock()
	batch := r.pending
	r.pending = nil
	r.mu.Unlock()
	if len(batch) > 0 {
		slog.Info("flushing spans", "count", len(batch), "tags", r.hostTags)
	}
}
