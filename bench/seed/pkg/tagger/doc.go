// Package tagger attaches tags to the entities the agents report on.
//
// A tag is a "key:value" string (see Tag and NormalizeTag). Tags come from
// collectors: each source of metadata (the static host configuration, the
// Kubernetes API, ...) implements Collector and registers a factory in its
// init function. A Tagger built with New queries every registered collector
// and merges what they return.
package tagger
