package core

import (
	"fmt"
	"net/http"
)

// Service answers HTTP requests with its name and version. It
// implements http.Handler, so its ServeHTTP method must stay a method
// of Service and Service must stay with its method.
type Service struct {
	name    string
	version string
}

// Default is the service run by this program.
var Default = &Service{name: "splitcycle", version: "1.4.2"}

// ServeHTTP writes the banner of the service.
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fmt.Fprintln(w, Name())
}

// ListenAndServe serves Default on addr.
func ListenAndServe(addr string) error {
	return http.ListenAndServe(addr, Default)
}
