package main

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
)

// reportInventory logs how many workloads of each kind the informers hold,
// once their caches have synced and then every minute.
func reportInventory(ctx context.Context, f informers.SharedInformerFactory, log logr.Logger) {
	f.WaitForCacheSync(ctx.Done())
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		deps, _ := f.Apps().V1().Deployments().Lister().List(labels.Everything())
		sts, _ := f.Apps().V1().StatefulSets().Lister().List(labels.Everything())
		cjs, _ := f.Batch().V1().CronJobs().Lister().List(labels.Everything())
		svcs, _ := f.Core().V1().Services().Lister().List(labels.Everything())
		log.Info("inventory", "deployments", len(deps), "statefulsets", len(sts), "cronjobs", len(cjs), "services", len(svcs))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
