// Command server serves every registered handler over HTTP.
package main

import (
	"flag"
	"log"
	"net/http"

	"example.com/splitcycle/internal/core"
	"example.com/splitcycle/internal/reg"
)

func main() {
	addr := flag.String("addr", "localhost:8080", "listen address")
	flag.Parse()
	log.Printf("%s serving %v on %s", core.Name(), reg.Names(), *addr)
	log.Fatal(http.ListenAndServe(*addr, reg.Mux()))
}
