package cmds

import (
	"fmt"
	"net/http"
)

type serveCmd struct{ addr string }

func newServe() Command { return serveCmd{addr: "localhost:8080"} }

func (serveCmd) Name() string    { return "serve" }
func (serveCmd) Summary() string { return "serve the files of the current directory over HTTP" }
func (s serveCmd) Run([]string) int {
	fmt.Println("serving on", s.addr)
	if err := http.ListenAndServe(s.addr, http.FileServer(http.Dir("."))); err != nil {
		fmt.Println(err)
		return 1
	}
	return 0
}
