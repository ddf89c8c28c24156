package backup

import (
	"context"
	"fmt"

	"cloud.google.com/go/storage"
)

type gcsSink struct {
	client         *storage.Client
	bucket, prefix string
}

func newGCSSink(ctx context.Context, bucket, prefix string) (Sink, error) {
	c, err := storage.NewClient(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: gcs client: %w", err)
	}
	return &gcsSink{client: c, bucket: bucket, prefix: prefix}, nil
}

func (s *gcsSink) Put(ctx context.Context, name string, data []byte) error {
	w := s.client.Bucket(s.bucket).Object(join(s.prefix, name)).NewWriter(ctx)
	w.ContentType = "application/json"
	if _, err := w.Write(data); err != nil {
		w.Close()
		return fmt.Errorf("backup: write gs://%s/%s: %w", s.bucket, name, err)
	}
	return w.Close()
}

func (s *gcsSink) String() string { return "gs://" + s.bucket + "/" + s.prefix }
