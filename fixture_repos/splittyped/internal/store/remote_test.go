package store

import "testing"

func TestRemoteKey(t *testing.T) {
	r := NewRemote("http://example.invalid")
	if got := r.key("k"); got != "http://example.invalid/k" || r.id != "http://example.invalid" {
		t.Fatalf("key = %q, id = %q", got, r.id)
	}
}
