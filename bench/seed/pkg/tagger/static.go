package tagger

import (
	"context"

	"example.com/seed/pkg/config"
)

// staticCollector returns the host tags of the configuration for every entity.
type staticCollector struct {
	tags []Tag
}

func init() {
	Register("static", newStaticCollector)
}

func newStaticCollector(cfg config.Config) (Collector, error) {
	tags := NormalizeAll(cfg.Tags)
	if cfg.Env != "" {
		tags = append(tags, New(KeyEnv, cfg.Env))
	}
	if cfg.Hostname != "" {
		tags = append(tags, New(KeyHost, cfg.Hostname))
	}
	return &staticCollector{tags: tags}, nil
}

func (c *staticCollector) Name() string { return "static" }

func (c *staticCollector) Tags(context.Context, string) ([]Tag, error) {
	return c.tags, nil
}
