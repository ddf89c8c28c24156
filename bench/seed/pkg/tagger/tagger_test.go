package tagger

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"example.com/seed/pkg/config"
)

func TestRegistered(t *testing.T) {
	got := Registered()
	for _, want := range []string{"kubernetes", "static"} {
		if !slices.Contains(got, want) {
			t.Errorf("Registered() = %q, missing %q", got, want)
		}
	}
}

func TestNewTaggerOutsideCluster(t *testing.T) {
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	cfg := config.Default()
	cfg.Env, cfg.Hostname, cfg.Tags = "Prod", "node-1", []string{"team:apm"}
	tg, err := NewTagger(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.Collectors(); !slices.Equal(got, []string{"static"}) {
		t.Fatalf("collectors = %q, want only static (no cluster)", got)
	}
	got := tg.Tags(context.Background(), PodEntity("default", "web-0"))
	want := []Tag{"env:prod", "host:node-1", "team:apm"}
	if !slices.Equal(got, want) {
		t.Fatalf("tags = %q, want %q", got, want)
	}
}

func TestPodTags(t *testing.T) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "shop",
			Name:      "cart-7d9f",
			Labels: map[string]string{
				"app.kubernetes.io/name":    "cart",
				"app.kubernetes.io/version": "1.4.2",
			},
		},
		Spec: corev1.PodSpec{NodeName: "ip-10-0-0-1"},
	}
	got := PodTags(pod)
	for _, want := range []Tag{
		"kube_namespace:shop", "pod_name:cart-7d9f", "kube_node:ip-10-0-0-1",
		"service:cart", "version:1.4.2", "app.kubernetes.io/name:cart",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("PodTags missing %q in %q", want, got)
		}
	}
}
