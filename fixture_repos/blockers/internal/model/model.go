// Package model defines the inventory items shared by the blockers
// fixture's commands. Item has several exported methods that pull in
// extra packages (encoding/json, net/url); a binary keeps them only when
// something disables method dead-code elimination.
package model

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Item is one inventory line.
type Item struct {
	Name  string
	Count int
	Price float64
}

// String formats the item for people.
func (it Item) String() string {
	return fmt.Sprintf("%s x%d", it.Name, it.Count)
}

// Total returns Count times Price.
func (it Item) Total() float64 {
	return float64(it.Count) * it.Price
}

// JSON encodes the item.
func (it Item) JSON() ([]byte, error) {
	return json.Marshal(it)
}

// Query encodes the item as URL query parameters.
func (it Item) Query() string {
	v := url.Values{}
	v.Set("name", it.Name)
	v.Set("count", fmt.Sprint(it.Count))
	return v.Encode()
}

// Slug returns a lower-case, dash-separated form of the name.
func (it Item) Slug() string {
	return strings.ToLower(strings.Join(strings.Fields(it.Name), "-"))
}

// Sample returns a few items for the demos.
func Sample() []Item {
	return []Item{
		{Name: "Blue Widget", Count: 3, Price: 2.5},
		{Name: "Red Gadget", Count: 1, Price: 10},
	}
}
