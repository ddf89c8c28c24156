//go:build !plan9

package notify

import (
	"fmt"
	"net/http"
	"strings"
)

// Send posts m as plain text to the webhook at url.
func Send(url string, m Message) error {
	resp, err := http.Post(url, "text/plain", strings.NewReader(m.String()))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("notify: %s: %s", url, resp.Status)
	}
	return nil
}
