// Package store keeps notes in memory and serves them over HTTP. Every
// exported declaration is used by cmd/notes, and the HTTP handlers are
// the point of the package: there is nothing to split or guard.
package store

import (
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
)

// Note is one stored note.
type Note struct {
	ID   string `json:"id"`
	Text string `json:"text"`
}

// Store is a concurrency-safe set of notes.
type Store struct {
	mu    sync.Mutex
	notes map[string]Note
}

// New returns an empty Store.
func New() *Store {
	return &Store{notes: make(map[string]Note)}
}

// Put stores n, replacing any note with the same ID.
func (s *Store) Put(n Note) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes[n.ID] = n
}

// List returns every note, sorted by ID.
func (s *Store) List() []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Note, 0, len(s.notes))
	for _, n := range s.notes {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Handler serves GET /notes (list as JSON) and PUT /notes/<id> (the
// body becomes the note's text).
func (s *Store) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/notes", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.List())
	})
	mux.HandleFunc("/notes/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.Put(Note{ID: strings.TrimPrefix(r.URL.Path, "/notes/"), Text: string(body)})
		w.WriteHeader(http.StatusNoContent)
	})
	return mux
}
