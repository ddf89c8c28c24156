// Command notes serves an in-memory note store over HTTP. It needs
// net/http itself (its server, a health endpoint) and through
// internal/store.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"time"

	"example.com/clean/internal/store"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	flag.Parse()

	s := store.New()
	s.Put(store.Note{ID: "welcome", Text: "PUT /notes/<id> to add a note"})

	mux := http.NewServeMux()
	mux.Handle("/notes", s.Handler())
	mux.Handle("/notes/", s.Handler())
	mux.HandleFunc("/healthz", healthz)

	srv := &http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("serving %d notes on %s", len(s.List()), *addr)
	log.Fatal(srv.ListenAndServe())
}

// healthz reports that the server is up.
func healthz(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, "ok")
}
