package main

import (
	"net/http"
	"time"
)

// probe returns the status line of a GET of url.
func probe(url string, timeout time.Duration) (string, error) {
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	return resp.Status, nil
}

// probeAll probes every url and returns their statuses.
func probeAll(urls []string, timeout time.Duration) ([]string, error) {
	var out []string
	for _, u := range urls {
		s, err := probe(u, timeout)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}
