// Command serve serves a report over HTTP.
package main

import (
	"log"
	"os"

	"example.com/wslib/report"
)

func main() {
	log.Fatal(report.Serve("127.0.0.1:8080", os.Args[1:]...))
}
