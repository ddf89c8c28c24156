// Package backup writes snapshots of cluster objects to object storage.
//
// A Sink stores one snapshot; Open picks the implementation from the
// scheme of a URL: s3://bucket/prefix, gs://bucket/prefix or
// azblob://container/prefix.
package backup

import (
	"context"
	"fmt"
	"net/url"
	"path"
	"strings"
)

// Sink stores snapshots under a prefix.
type Sink interface {
	// Put stores data under name, relative to the sink's prefix.
	Put(ctx context.Context, name string, data []byte) error
	// String describes the destination, for logs.
	String() string
}

// Open returns the sink for rawURL.
func Open(ctx context.Context, rawURL string) (Sink, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	prefix := strings.TrimPrefix(u.Path, "/")
	switch u.Scheme {
	case "s3":
		return newS3Sink(ctx, u.Host, prefix)
	case "gs":
		return newGCSSink(ctx, u.Host, prefix)
	case "azblob":
		return newAzureSink(u.Host, prefix)
	default:
		return nil, fmt.Errorf("backup: unsupported destination %q", rawURL)
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return path.Join(prefix, name)
}
