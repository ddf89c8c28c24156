// Command full type-checks Go files, checks URLs and can serve greetings
// over HTTP. It uses the heavy half of internal/util.
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sort"

	"example.com/split/internal/util"
)

func main() {
	addr := flag.String("serve", "", "serve greetings on this address")
	url := flag.String("check", "", "print the HTTP status of this URL")
	list := flag.Bool("list", false, "list the registered analyzers")
	flag.Parse()

	if *addr != "" {
		log.Fatal(http.ListenAndServe(*addr, util.GreetingHandler()))
	}
	if *url != "" {
		code, err := util.FetchStatus(*url)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(*url, code)
	}
	if *list {
		names := make([]string, 0, len(util.Analyzers))
		for name := range util.Analyzers {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Println("analyzers:", names)
	}
	checker := util.NewChecker()
	for _, file := range flag.Args() {
		src, err := os.ReadFile(file)
		if err != nil {
			log.Fatal(err)
		}
		lines, err := checker.Check(file, string(src))
		if err != nil {
			log.Fatal(err)
		}
		for _, l := range lines {
			fmt.Printf("%s: %s\n", file, l)
		}
	}
}
