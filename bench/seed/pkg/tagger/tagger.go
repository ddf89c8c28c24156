package tagger

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"

	"example.com/seed/pkg/config"
)

// Tagger merges the tags of several collectors.
type Tagger struct {
	collectors []Collector
}

// NewTagger builds every registered collector that applies to cfg.
// Collectors whose factory returns ErrDisabled are skipped.
func NewTagger(cfg config.Config) (*Tagger, error) {
	t := &Tagger{}
	for _, name := range Registered() {
		f, _ := factory(name)
		c, err := f(cfg)
		if errors.Is(err, ErrDisabled) {
			slog.Debug("tagger: collector disabled", "collector", name)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("tagger: collector %s: %w", name, err)
		}
		t.collectors = append(t.collectors, c)
	}
	return t, nil
}

// Collectors returns the names of the collectors the tagger queries.
func (t *Tagger) Collectors() []string {
	names := make([]string, len(t.collectors))
	for i, c := range t.collectors {
		names[i] = c.Name()
	}
	return names
}

// Tags returns the sorted union of the tags every collector knows for entity.
// A failing collector is logged and skipped so that one bad source does not
// drop all tags.
func (t *Tagger) Tags(ctx context.Context, entity string) []Tag {
	seen := map[Tag]bool{}
	for _, c := range t.collectors {
		tags, err := c.Tags(ctx, entity)
		if err != nil {
			slog.Warn("tagger: collector failed", "collector", c.Name(), "entity", entity, "err", err)
			continue
		}
		for _, tag := range tags {
			seen[tag] = true
		}
	}
	out := make([]Tag, 0, len(seen))
	for tag := range seen {
		out = append(out, tag)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
