package util

import (
	"fmt"
	"sort"
)

// Counter counts occurrences of words. Its methods only use light
// standard-library packages.
type Counter struct {
	counts map[string]int
}

// NewCounter returns an empty Counter.
func NewCounter() *Counter {
	return &Counter{counts: make(map[string]int)}
}

// Add records one occurrence of each word.
func (c *Counter) Add(words ...string) {
	for _, w := range words {
		c.counts[w]++
	}
}

// Count returns how often word was added.
func (c *Counter) Count(word string) int {
	return c.counts[word]
}

// Keys returns the distinct words in sorted order.
func (c *Counter) Keys() []string {
	keys := make([]string, 0, len(c.counts))
	for k := range c.counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// String formats the counter as "word=n" pairs.
func (c *Counter) String() string {
	s := ""
	for i, k := range c.Keys() {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%s=%d", k, c.counts[k])
	}
	return s
}
