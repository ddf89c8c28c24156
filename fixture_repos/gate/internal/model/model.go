// Package model holds a type with methods that only a method-DCE blocker keeps.
package model

import (
	"encoding/json"
	"net/url"
)

// Person is someone to greet.
type Person struct {
	Name string
}

// JSON encodes the person (kept only when method DCE is off).
func (p Person) JSON() ([]byte, error) { return json.Marshal(p) }

// Query encodes the person as a URL query (kept only when method DCE is off).
func (p Person) Query() string { return url.Values{"name": {p.Name}}.Encode() }
