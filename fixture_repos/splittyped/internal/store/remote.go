package store

import (
	"fmt"
	"net/http"
)

// Remote reads values from an HTTP server. Its unexported field id and
// method key have the names of Cache's: only their types tell them apart.
type Remote struct {
	id     string
	client *http.Client
}

// NewRemote returns a Remote for the server at base.
func NewRemote(base string) *Remote {
	return &Remote{id: base, client: &http.Client{}}
}

// Status returns the HTTP status of the value under k.
func (r *Remote) Status(k string) (int, error) {
	resp, err := r.client.Get(r.key(k))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// key is the URL of the value under k.
func (r *Remote) key(k string) string { return fmt.Sprintf("%s/%s", r.id, k) }
