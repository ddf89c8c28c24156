// Package fetch asks a web server for a status: it links net/http.
package fetch

import "net/http"

// Status returns the HTTP status of url, or the error.
func Status(url string) string {
	resp, err := http.Get(url)
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	return resp.Status
}
