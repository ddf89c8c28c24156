// Command server serves greetings over HTTP and checks an upstream's status.
package main

import (
	"flag"
	"log"
	"net/http"

	"example.com/nested/util"
)

func main() {
	upstream := flag.String("upstream", "", "URL whose status to log at start")
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	flag.Parse()
	if *upstream != "" {
		status, err := util.Status(*upstream)
		log.Println(status, err)
	}
	log.Fatal(http.ListenAndServe(*addr, util.Handler()))
}
