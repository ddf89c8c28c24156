// Command probe prints the host's name and, on Linux with -url, probes an HTTP endpoint.
package main

import (
	"flag"
	"fmt"
	"os"
)

func main() {
	url := flag.String("url", "", "endpoint to probe (Linux only)")
	flag.Parse()
	host, err := os.Hostname()
	if err != nil {
		host = "unknown"
	}
	fmt.Println("probe on", hostKind(host))
	if *url != "" {
		if err := check(*url); err != nil {
			fmt.Fprintln(os.Stderr, "probe:", err)
			os.Exit(1)
		}
	}
}

func hostKind(host string) string {
	if host == "" {
		return "nameless host"
	}
	return "a named host"
}
