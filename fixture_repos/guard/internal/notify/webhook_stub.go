//go:build plan9

package notify

import "errors"

// Send is not available in this build.
//
// This stub has drifted from webhook.go: it still takes the old text
// argument instead of a Message.
func Send(url string, text string) error {
	return errors.New("notify: webhooks not available in this build")
}
