package tagger

import "strings"

// Tag is a normalized "key:value" pair. A tag without a colon is a bare
// value, which the backend accepts but cannot facet on.
type Tag string

// Well-known tag keys.
const (
	KeyEnv       = "env"
	KeyService   = "service"
	KeyVersion   = "version"
	KeyHost      = "host"
	KeyCluster   = "kube_cluster_name"
	KeyNamespace = "kube_namespace"
	KeyPod       = "pod_name"
	KeyNode      = "kube_node"
)

// MaxTagLength is the longest tag the backend keeps; longer tags are cut.
const MaxTagLength = 200

// New returns the normalized tag key:value.
func New(key, value string) Tag {
	return Tag(NormalizeTag(key + ":" + value))
}

// Key returns the part of t before the first colon, or "" for a bare tag.
func (t Tag) Key() string {
	k, _, ok := strings.Cut(string(t), ":")
	if !ok {
		return ""
	}
	return k
}

// Value returns the part of t after the first colon, or all of t for a bare tag.
func (t Tag) Value() string {
	_, v, ok := strings.Cut(string(t), ":")
	if !ok {
		return string(t)
	}
	return v
}

// String implements fmt.Stringer.
func (t Tag) String() string { return string(t) }
