// Package greet formats greetings.
package greet

import "example.com/gate/internal/model"

// Hello greets a person.
func Hello(p model.Person) string {
	return "hello, " + p.Name
}
