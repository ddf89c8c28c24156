package client

import (
	"fmt"

	"example.com/shapes/internal/rpcpb"
)

// send sends msg over RPC with the configured compression.
func send(o Options, msg string) error {
	if o.Compression == rpcpb.Compression_ZSTD {
		return fmt.Errorf("zstd is not supported by this server")
	}
	c, err := rpcpb.Dial(o.Addr, o.Compression)
	if err != nil {
		return err
	}
	return c.Send(msg)
}
