package backup

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"example.com/large/internal/cloud"
)

type s3Sink struct {
	client         *s3.Client
	bucket, prefix string
}

func newS3Sink(ctx context.Context, bucket, prefix string) (Sink, error) {
	c, err := cloud.NewS3Client(ctx)
	if err != nil {
		return nil, err
	}
	return &s3Sink{client: c, bucket: bucket, prefix: prefix}, nil
}

func (s *s3Sink) Put(ctx context.Context, name string, data []byte) error {
	return cloud.PutObject(ctx, s.client, s.bucket, join(s.prefix, name), data)
}

func (s *s3Sink) String() string { return "s3://" + s.bucket + "/" + s.prefix }
