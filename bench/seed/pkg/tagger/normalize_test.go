package tagger

import (
	"strings"
	"testing"
)

func TestNormalizeTag(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"env:prod", "env:prod"},
		{"Env:Prod", "env:prod"},
		{"  9lives:yes", "lives:yes"},
		{"team:a  b!!c", "team:a_b_c"},
		{"path:/var/log/", "path:/var/log/"},
		{"trailing:x__", "trailing:x"},
		{"ünï:cödé", "ünï:cödé"},
		{"123", ""},
	}
	for _, tt := range tests {
		if got := NormalizeTag(tt.in); got != tt.want {
			t.Errorf("NormalizeTag(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeTagTruncates(t *testing.T) {
	got := NormalizeTag("k:" + strings.Repeat("é", 300))
	if len(got) > MaxTagLength {
		t.Fatalf("len = %d, want <= %d", len(got), MaxTagLength)
	}
	if !strings.HasPrefix(got, "k:é") {
		t.Fatalf("got %q", got)
	}
}

func TestTagKeyValue(t *testing.T) {
	tag := New("Service", "Web Frontend")
	if tag != "service:web_frontend" || tag.Key() != "service" || tag.Value() != "web_frontend" {
		t.Fatalf("tag = %q key %q value %q", tag, tag.Key(), tag.Value())
	}
	if bare := Tag("standalone"); bare.Key() != "" || bare.Value() != "standalone" {
		t.Fatalf("bare tag: key %q value %q", bare.Key(), bare.Value())
	}
}
