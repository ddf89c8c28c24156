package util

import (
	"fmt"
	"net/http"
	"time"
)

// client is shared by the HTTP helpers.
var client = &http.Client{Timeout: 10 * time.Second}

// FetchStatus performs a GET request to url and returns the status code.
func FetchStatus(url string) (int, error) {
	resp, err := client.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	return resp.StatusCode, nil
}

// GreetingHandler serves Greeting over HTTP, reading the name from the
// "name" query parameter.
func GreetingHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, Greeting(r.URL.Query().Get("name"), Options{}))
	})
}
