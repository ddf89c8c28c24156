package backup

import (
	"context"
	"fmt"
	"os"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

type azureSink struct {
	client            *azblob.Client
	container, prefix string
}

func newAzureSink(container, prefix string) (Sink, error) {
	conn := os.Getenv("AZURE_STORAGE_CONNECTION_STRING")
	if conn == "" {
		return nil, fmt.Errorf("backup: AZURE_STORAGE_CONNECTION_STRING is not set")
	}
	c, err := azblob.NewClientFromConnectionString(conn, nil)
	if err != nil {
		return nil, fmt.Errorf("backup: azure client: %w", err)
	}
	return &azureSink{client: c, container: container, prefix: prefix}, nil
}

func (s *azureSink) Put(ctx context.Context, name string, data []byte) error {
	_, err := s.client.UploadBuffer(ctx, s.container, join(s.prefix, name), data, nil)
	return err
}

func (s *azureSink) String() string { return "azblob://" + s.container + "/" + s.prefix }
