package main

import "fmt"

// hooks run before every subcommand.
var hooks []func() error

func register(h func() error) { hooks = append(hooks, h) }

func init() {
	register(func() error { return nil })
	register(pingHook)
}

func runHooks() {
	for _, h := range hooks {
		if err := h(); err != nil {
			fmt.Println("hook:", err)
		}
	}
}
