package client

import "fmt"

// Deliver prints msg, or sends it to o.Addr when one is set.
func Deliver(o Options, msg string) error {
	if o.Verbose {
		fmt.Printf("delivering %d bytes\n", len(msg))
	}
	if o.Addr == "" {
		fmt.Println(msg)
		return nil
	}
	return send(o, msg)
}
