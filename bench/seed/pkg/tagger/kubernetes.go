package tagger

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"example.com/seed/pkg/config"
)

// PodEntityPrefix is the prefix of the entity IDs of Kubernetes pods:
// "kubernetes_pod://<namespace>/<name>".
const PodEntityPrefix = "kubernetes_pod://"

// PodEntity returns the entity ID of a pod.
func PodEntity(namespace, name string) string {
	return PodEntityPrefix + namespace + "/" + name
}

// kubeCollector tags pods with their labels, read from the API server.
type kubeCollector struct {
	client  kubernetes.Interface
	cluster string
}

func init() {
	Register("kubernetes", newKubeCollector)
}

func newKubeCollector(cfg config.Config) (Collector, error) {
	if cfg.Kubeconfig == "" && !inCluster() {
		return nil, ErrDisabled
	}
	client, err := NewKubeClient(cfg)
	if err != nil {
		return nil, err
	}
	return NewKubeCollector(client, cfg.ClusterName), nil
}

// NewKubeCollector returns a collector that reads pod labels through client.
func NewKubeCollector(client kubernetes.Interface, cluster string) Collector {
	return &kubeCollector{client: client, cluster: cluster}
}

func (c *kubeCollector) Name() string { return "kubernetes" }

func (c *kubeCollector) Tags(ctx context.Context, entity string) ([]Tag, error) {
	ref, ok := strings.CutPrefix(entity, PodEntityPrefix)
	if !ok {
		return nil, nil
	}
	ns, name, ok := strings.Cut(ref, "/")
	if !ok {
		return nil, fmt.Errorf("tagger: bad pod entity %q", entity)
	}
	pod, err := c.client.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("tagger: get pod %s/%s: %w", ns, name, err)
	}
	tags := PodTags(pod)
	if c.cluster != "" {
		tags = append(tags, New(KeyCluster, c.cluster))
	}
	return tags, nil
}

// PodTags returns the tags of a pod: its namespace, name and node, and one
// tag per label. The well-known app.kubernetes.io labels also give the
// service and version tags.
func PodTags(pod *corev1.Pod) []Tag {
	tags := []Tag{
		New(KeyNamespace, pod.Namespace),
		New(KeyPod, pod.Name),
	}
	if pod.Spec.NodeName != "" {
		tags = append(tags, New(KeyNode, pod.Spec.NodeName))
	}
	for k, v := range pod.Labels {
		switch k {
		case "app.kubernetes.io/name":
			tags = append(tags, New(KeyService, v))
		case "app.kubernetes.io/version":
			tags = append(tags, New(KeyVersion, v))
		}
		tags = append(tags, New(k, v))
	}
	return tags
}
