package cloud

import (
	"bytes"
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// NewS3Client returns an S3 client for the region Region reports, with the
// default credential chain.
func NewS3Client(ctx context.Context) (*s3.Client, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(Region()))
	if err != nil {
		return nil, fmt.Errorf("cloud: aws config: %w", err)
	}
	return s3.NewFromConfig(cfg), nil
}

// PutObject uploads data to bucket/key with server-side encryption.
func PutObject(ctx context.Context, c *s3.Client, bucket, key string, data []byte) error {
	_, err := c.PutObject(ctx, &s3.PutObjectInput{
		Bucket:               aws.String(bucket),
		Key:                  aws.String(key),
		Body:                 bytes.NewReader(data),
		ServerSideEncryption: types.ServerSideEncryptionAes256,
	})
	if err != nil {
		return fmt.Errorf("cloud: put s3://%s/%s: %w", bucket, key, err)
	}
	return nil
}
