// Package client delivers messages: printed, or sent over RPC to an address.
package client

import "example.com/shapes/internal/rpcpb"

// Options configure delivery; every build needs them.
type Options struct {
	Addr        string
	Compression rpcpb.Compression
	Verbose     bool
}
