// Package lookup calls a statistic of a Stats value chosen by name at run time with
// reflect.ValueOf(s).MethodByName(name): a lookup by a computed name, which switches method
// dead-code elimination off, on a concrete type whose methods are a closed set.
package lookup

import (
	"fmt"
	"reflect"
)

// Stats summarises numbers.
type Stats struct {
	Count int
	Sum   float64
}

// Mean is the average.
func (s Stats) Mean() float64 {
	if s.Count == 0 {
		return 0
	}
	return s.Sum / float64(s.Count)
}

// Total is the sum.
func (s Stats) Total() float64 { return s.Sum }

// Describe says what s holds.
func (s Stats) Describe() string { return fmt.Sprintf("%d values, sum %g", s.Count, s.Sum) }

// Value returns the statistic called name, printed.
func Value(s Stats, name string) (string, error) {
	m := reflect.ValueOf(s).MethodByName(name)
	if !m.IsValid() {
		return "", fmt.Errorf("lookup: no statistic %q", name)
	}
	return fmt.Sprint(m.Call(nil)[0].Interface()), nil
}
