// Package notify publishes a message on a Pub/Sub topic after each backup,
// so that downstream jobs (restore tests, audits) can pick it up.
package notify

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"cloud.google.com/go/pubsub/v2"
)

// Event describes one finished backup.
type Event struct {
	Object string    `json:"object"`
	Dest   string    `json:"dest"`
	At     time.Time `json:"at"`
}

// Publisher sends events to one topic.
type Publisher struct {
	client *pubsub.Client
	pub    *pubsub.Publisher
}

// New returns a publisher for topic in project.
func New(ctx context.Context, project, topic string) (*Publisher, error) {
	c, err := pubsub.NewClient(ctx, project)
	if err != nil {
		return nil, fmt.Errorf("notify: %w", err)
	}
	return &Publisher{client: c, pub: c.Publisher(topic)}, nil
}

// Publish sends ev and waits for the server to acknowledge it.
func (p *Publisher) Publish(ctx context.Context, ev Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	_, err = p.pub.Publish(ctx, &pubsub.Message{Data: data, Attributes: map[string]string{"type": "backup.done"}}).Get(ctx)
	return err
}

// Close flushes pending messages and closes the client.
func (p *Publisher) Close() error {
	p.pub.Stop()
	return p.client.Close()
}
