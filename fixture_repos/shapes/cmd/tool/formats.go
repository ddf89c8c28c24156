package main

import (
	"fmt"
	"io"
	"strings"
)

// formats write the arguments in one format each.
var formats = map[string]func(io.Writer, []string) error{
	"text":   writeText,
	"status": writeStatus,
}

func writeText(w io.Writer, args []string) error {
	_, err := fmt.Fprintln(w, strings.Join(args, " "))
	return err
}
