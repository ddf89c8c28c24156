package util

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestGreeting(t *testing.T) {
	if got := Greeting("", Options{Excited: true}); got != "Hello, Gopher!" {
		t.Fatalf("Greeting = %q", got)
	}
	if got := Greeting("ada lovelace", Options{Prefix: "Hi"}); got != "Hi, Ada Lovelace." {
		t.Fatalf("Greeting = %q", got)
	}
}

func TestCounterAndMax(t *testing.T) {
	c := NewCounter()
	c.Add("b", "a", "b")
	if c.String() != "a=1 b=2" {
		t.Fatalf("String = %q", c.String())
	}
	if Max(c.Count("a"), c.Count("b")) != 2 || Max("x", "z", "y") != "z" {
		t.Fatal("Max")
	}
	if !strings.HasSuffix(ConfigDir("split"), "split") {
		t.Fatal("ConfigDir")
	}
}

func TestChecker(t *testing.T) {
	got, err := NewChecker().Check("a.go", "package a\n\nvar N = 1 << 3\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0] != "N: int" {
		t.Fatalf("Check = %v", got)
	}
	if _, ok := Analyzers["types"]; !ok {
		t.Fatal("init did not register the types analyzer")
	}
}

func TestGreetingHandler(t *testing.T) {
	rec := httptest.NewRecorder()
	GreetingHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/?name=bob", nil))
	if strings.TrimSpace(rec.Body.String()) != "Hello, Bob." {
		t.Fatalf("body = %q", rec.Body.String())
	}
}
