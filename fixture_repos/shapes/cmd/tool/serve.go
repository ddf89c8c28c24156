package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
)

var serveCmd = &command{Name: "serve", Summary: "serve the current directory over HTTP", Run: func(args []string) error {
	addr := ":8080"
	if len(args) > 0 {
		addr = args[0]
	}
	return http.ListenAndServe(addr, http.FileServer(http.Dir(".")))
}}

// writeStatus writes the HTTP status text of each numeric argument.
func writeStatus(w io.Writer, args []string) error {
	for _, a := range args {
		code, err := strconv.Atoi(a)
		if err != nil {
			return err
		}
		fmt.Fprintln(w, code, http.StatusText(code))
	}
	return nil
}

// pingHook checks that $TOOL_PING answers, when it is set.
func pingHook() error {
	url := os.Getenv("TOOL_PING")
	if url == "" {
		return nil
	}
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
