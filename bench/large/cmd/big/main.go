// Command big is a backup operator: a controller-runtime manager that
// snapshots annotated ConfigMaps to S3, GCS or Azure Blob storage, plus a
// shared informer factory that keeps an inventory of the workloads of the
// cluster.
package main

import (
	"context"
	"flag"
	"os"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"example.com/large/internal/backup"
	"example.com/large/internal/cloud"
	"example.com/large/internal/controller"
)

func main() {
	dest := flag.String("dest", "s3://cluster-backups/"+cloud.Region(), "backup destination URL")
	metricsAddr := flag.String("metrics-addr", ":8080", "metrics listen address")
	resync := flag.Duration("resync", 10*time.Minute, "informer resync period")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("big")

	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		log.Error(err, "scheme")
		os.Exit(1)
	}
	restCfg := ctrl.GetConfigOrDie()
	mgr, err := ctrl.NewManager(restCfg, ctrl.Options{
		Scheme:         scheme,
		Metrics:        metricsserver.Options{BindAddress: *metricsAddr},
		LeaderElection: true, LeaderElectionID: "big-backup-operator",
	})
	if err != nil {
		log.Error(err, "manager")
		os.Exit(1)
	}

	ctx := ctrl.SetupSignalHandler()
	sink, err := backup.Open(ctx, *dest)
	if err != nil {
		log.Error(err, "backup sink")
		os.Exit(1)
	}
	if err := (&controller.ConfigMapReconciler{Client: mgr.GetClient(), Sink: sink}).SetupWithManager(mgr); err != nil {
		log.Error(err, "controller")
		os.Exit(1)
	}

	// Inventory of workloads, through plain client-go informers.
	cs := kubernetes.NewForConfigOrDie(restCfg)
	factory := informers.NewSharedInformerFactory(cs, *resync)
	for _, inf := range []cache.SharedIndexInformer{
		factory.Apps().V1().Deployments().Informer(),
		factory.Apps().V1().StatefulSets().Informer(),
		factory.Batch().V1().CronJobs().Informer(),
		factory.Core().V1().Services().Informer(),
	} {
		inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc: func(obj any) {
				key, _ := cache.DeletionHandlingMetaNamespaceKeyFunc(obj)
				log.V(1).Info("inventory add", "object", key)
			},
		})
	}
	factory.Start(ctx.Done())
	go reportInventory(ctx, factory, log.WithName("inventory"))

	log.Info("starting", "dest", sink.String(), "region", cloud.Region())
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "manager stopped")
		os.Exit(1)
	}
}
