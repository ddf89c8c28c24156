package config

import (
	"testing"
	"time"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := m[k]
		return v, ok
	}
}

func TestFromLookupDefaults(t *testing.T) {
	cfg, err := FromLookup(lookupFrom(map[string]string{"SEED_HOSTNAME": "h1"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Hostname != "h1" || cfg.APMAddr != "localhost:8126" || cfg.FlushInterval != 10*time.Second {
		t.Fatalf("unexpected defaults: %+v", cfg)
	}
}

func TestFromLookupOverrides(t *testing.T) {
	cfg, err := FromLookup(lookupFrom(map[string]string{
		"SEED_ENV":            "prod",
		"SEED_TAGS":           "team:apm, region:eu ,,",
		"SEED_FLUSH_INTERVAL": "30",
		"SEED_NAMESPACE":      "default",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Env != "prod" || cfg.Namespace != "default" {
		t.Fatalf("unexpected config: %+v", cfg)
	}
	if len(cfg.Tags) != 2 || cfg.Tags[0] != "team:apm" || cfg.Tags[1] != "region:eu" {
		t.Fatalf("tags = %q", cfg.Tags)
	}
	if cfg.FlushInterval != 30*time.Second {
		t.Fatalf("flush interval = %s", cfg.FlushInterval)
	}
}

func TestValidateRejectsBadTag(t *testing.T) {
	_, err := FromLookup(lookupFrom(map[string]string{"SEED_TAGS": "novalue"}))
	if err == nil {
		t.Fatal("expected an error for a tag without a colon")
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]time.Duration{"5": 5 * time.Second, "1m30s": 90 * time.Second} {
		got, err := parseDuration(in)
		if err != nil || got != want {
			t.Errorf("parseDuration(%q) = %s, %v; want %s", in, got, err, want)
		}
	}
}
