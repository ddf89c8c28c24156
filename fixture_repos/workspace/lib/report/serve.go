package report

import (
	"fmt"
	"net/http"
)

// Serve serves the report titled by words at addr.
func Serve(addr string, words ...string) error {
	return http.ListenAndServe(addr, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintln(w, Title(words...))
	}))
}
