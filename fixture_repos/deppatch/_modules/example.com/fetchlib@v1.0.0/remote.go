package fetchlib

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

var client = &http.Client{Timeout: 10 * time.Second}

func init() {
	loaders["http"] = loadHTTP
	loaders["https"] = loadHTTP
}

func loadHTTP(u *url.URL) ([]byte, error) {
	resp, err := client.Get(u.String())
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetchlib: %s: %s", u, resp.Status)
	}
	return io.ReadAll(resp.Body)
}
