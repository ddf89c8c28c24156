// Package greet formats greetings.
package greet

import (
	"strings"
	"text/template"

	"example.com/gate/internal/model"
)

var hello = template.Must(template.New("hello").Parse("hello, {{.Name}}"))

// Hello greets a person.
func Hello(p model.Person) string {
	var b strings.Builder
	if err := hello.Execute(&b, p); err != nil {
		return err.Error()
	}
	return b.String()
}
