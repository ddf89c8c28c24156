// Command cluster-agent watches the pods of a Kubernetes cluster and
// reports each one with its tags.
//
// Unlike trace-agent it needs the Kubernetes part of package tagger.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"example.com/seed/pkg/config"
	"example.com/seed/pkg/tagger"
)

func main() {
	selector := flag.String("selector", "", "label selector of the pods to report, e.g. app=web")
	once := flag.Bool("once", false, "report once and exit")
	flag.Parse()
	if err := run(*selector, *once); err != nil {
		fmt.Fprintln(os.Stderr, "cluster-agent:", err)
		os.Exit(1)
	}
}

func run(selector string, once bool) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	sel, err := labels.Parse(selector)
	if err != nil {
		return fmt.Errorf("bad selector: %w", err)
	}
	client, err := tagger.NewKubeClient(cfg)
	if err != nil {
		return err
	}
	tg, err := tagger.NewTagger(cfg)
	if err != nil {
		return err
	}
	slog.Info("cluster-agent started", "collectors", tg.Collectors(), "namespace", cfg.Namespace)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	for {
		if err := report(ctx, client, tg, cfg.Namespace, sel); err != nil {
			slog.Error("report failed", "err", err)
		}
		if once {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(cfg.FlushInterval):
		}
	}
}

// report lists the pods matching sel and logs each with its tags.
func report(ctx context.Context, client kubernetes.Interface, tg *tagger.Tagger, ns string, sel labels.Selector) error {
	pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return err
	}
	for i := range pods.Items {
		pod := &pods.Items[i]
		tags := tg.Tags(ctx, tagger.PodEntity(pod.Namespace, pod.Name))
		slog.Info("pod", "namespace", pod.Namespace, "name", pod.Name, "phase", pod.Status.Phase, "tags", tags)
	}
	return nil
}
