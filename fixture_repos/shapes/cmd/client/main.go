// Command client delivers its arguments as one message: printed, or with -addr sent over RPC.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"example.com/shapes/internal/client"
	"example.com/shapes/internal/rpcpb"
)

func main() {
	addr := flag.String("addr", "", "RPC address to send to (default: print)")
	comp := flag.String("compression", "none", "none, gzip or zstd")
	verbose := flag.Bool("v", false, "say what is done")
	flag.Parse()
	c, ok := rpcpb.Compression_value[strings.ToUpper(*comp)]
	if !ok {
		fmt.Fprintf(os.Stderr, "client: unknown compression %q\n", *comp)
		os.Exit(2)
	}
	opts := client.Options{Addr: *addr, Compression: rpcpb.Compression(c), Verbose: *verbose}
	if *verbose {
		fmt.Println("compression:", opts.Compression)
	}
	if err := client.Deliver(opts, strings.Join(flag.Args(), " ")); err != nil {
		fmt.Fprintln(os.Stderr, "client:", err)
		os.Exit(1)
	}
}
