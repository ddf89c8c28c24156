// Package notify sends short notifications. The webhook transport in
// webhook.go needs net/http; on plan9 webhook_stub.go stands in for it,
// but that stub has drifted: its Send takes a string, not a Message.
package notify

import "strings"

// Message is one notification.
type Message struct {
	Title string
	Body  string
}

// String formats m as "Title: Body" on one line.
func (m Message) String() string {
	body := strings.Join(strings.Fields(m.Body), " ")
	if m.Title == "" {
		return body
	}
	return m.Title + ": " + body
}
