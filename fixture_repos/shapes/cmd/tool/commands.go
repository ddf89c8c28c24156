package main

import (
	"fmt"
	"strings"
)

type command struct {
	Name    string
	Summary string
	Run     func(args []string) error
}

// commands are the subcommands, in the order usage lists them.
var commands = []*command{
	versionCmd,
	serveCmd,
	echoCmd,
}

var versionCmd = &command{Name: "version", Summary: "print the version", Run: func([]string) error {
	fmt.Println("tool 1.0")
	return nil
}}

var echoCmd = &command{Name: "echo", Summary: "print the arguments", Run: func(args []string) error {
	fmt.Println(strings.Join(args, " "))
	return nil
}}
