// Package config loads the agent configuration shared by every binary of
// the seed module.
//
// The configuration is read from the environment (variables prefixed with
// SEED_) so that the same container image can run any of the agents. The
// package is deliberately light: it imports nothing outside the standard
// library, because every binary links it.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// EnvPrefix is the prefix of every environment variable the agents read.
const EnvPrefix = "SEED_"

// Config holds the settings shared by the agents.
type Config struct {
	// Hostname identifies the host in every payload. Defaults to os.Hostname.
	Hostname string
	// Env is the deployment environment (prod, staging, ...), sent as the env tag.
	Env string
	// Tags are extra host tags, as "key:value" strings.
	Tags []string
	// APMAddr is the address the trace receiver listens on.
	APMAddr string
	// FlushInterval is how often buffered payloads are sent.
	FlushInterval time.Duration

	// Kubeconfig is the path of a kubeconfig file. Empty means in-cluster.
	Kubeconfig string
	// ClusterName is the name of the Kubernetes cluster, sent as a tag.
	ClusterName string
	// Namespace restricts the cluster agent to one namespace. Empty means all.
	Namespace string
}

// Default returns the configuration used when nothing is set.
func Default() Config {
	return Config{
		APMAddr:       "localhost:8126",
		FlushInterval: 10 * time.Second,
	}
}

// Load reads the configuration from the process environment.
func Load() (Config, error) {
	return FromLookup(os.LookupEnv)
}

// FromLookup reads the configuration through lookup, which has the
// signature of os.LookupEnv. Tests pass a map-backed function.
func FromLookup(lookup func(string) (string, bool)) (Config, error) {
	cfg := Default()
	get := func(name string) (string, bool) { return lookup(EnvPrefix + name) }

	if v, ok := get("HOSTNAME"); ok {
		cfg.Hostname = v
	} else if h, err := os.Hostname(); err == nil {
		cfg.Hostname = h
	}
	if v, ok := get("ENV"); ok {
		cfg.Env = v
	}
	if v, ok := get("TAGS"); ok {
		cfg.Tags = splitList(v)
	}
	if v, ok := get("APM_ADDR"); ok {
		cfg.APMAddr = v
	}
	if v, ok := get("FLUSH_INTERVAL"); ok {
		d, err := parseDuration(v)
		if err != nil {
			return Config{}, fmt.Errorf("%sFLUSH_INTERVAL: %w", EnvPrefix, err)
		}
		cfg.FlushInterval = d
	}
	if v, ok := get("KUBECONFIG"); ok {
		cfg.Kubeconfig = v
	}
	if v, ok := get("CLUSTER_NAME"); ok {
		cfg.ClusterName = v
	}
	if v, ok := get("NAMESPACE"); ok {
		cfg.Namespace = v
	}
	return cfg, cfg.Validate()
}

// Validate reports the first setting that cannot be used.
func (c Config) Validate() error {
	if c.APMAddr == "" {
		return fmt.Errorf("config: empty APM address")
	}
	if c.FlushInterval <= 0 {
		return fmt.Errorf("config: flush interval must be positive, got %s", c.FlushInterval)
	}
	for _, t := range c.Tags {
		if !strings.Contains(t, ":") {
			return fmt.Errorf("config: tag %q is not of the form key:value", t)
		}
	}
	return nil
}

// splitList splits a comma- or space-separated list and drops empty items.
func splitList(s string) []string {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
	out := fields[:0]
	for _, f := range fields {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
