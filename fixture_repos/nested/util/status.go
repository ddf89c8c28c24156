package util

import (
	"fmt"
	"net/http"
	"time"
)

var client = &http.Client{Timeout: 5 * time.Second}

// Status fetches url and reports its HTTP status line.
func Status(url string) (string, error) {
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return fmt.Sprintf("%s: %s", url, resp.Status), nil
}

// Handler greets the caller by the request path.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, Greeting(r.URL.Path[1:]))
	})
}
