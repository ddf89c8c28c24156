// Command trace-agent receives traces from instrumented applications,
// tags them with the host tags, and forwards them in batches.
//
// It only needs the tag helpers of package tagger; it never talks to the
// Kubernetes API.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"example.com/seed/pkg/config"
	"example.com/seed/pkg/tagger"
)

func main() {
	debug := flag.Bool("debug", false, "log at debug level")
	flag.Parse()
	if *debug {
		slog.SetLogLoggerLevel(slog.LevelDebug)
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "trace-agent:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	hostTags := tagger.NormalizeAll(cfg.Tags)
	if cfg.Env != "" {
		hostTags = append(hostTags, tagger.Tag(tagger.NormalizeTag(tagger.KeyEnv+":"+cfg.Env)))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	r := newReceiver(hostTags, cfg.FlushInterval)
	go r.flushLoop(ctx)

	srv := &http.Server{Addr: cfg.APMAddr, Handler: r.routes()}
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	slog.Info("trace-agent listening", "addr", cfg.APMAddr, "tags", len(hostTags))
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
