// Command big is a backup operator: a controller-runtime manager that
// snapshots annotated ConfigMaps to S3, GCS or Azure Blob storage, plus a
// shared informer factory that keeps an inventory of the workloads of the
// cluster.
package main

import (
	"context"
	"flag"
	"os"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/cache"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"example.com/large/internal/awsinv"
	"example.com/large/internal/backup"
	"example.com/large/internal/cloud"
	"example.com/large/internal/controller"
	"example.com/large/internal/notify"
	"example.com/large/internal/telemetry"
)

func main() {
	dest := flag.String("dest", "s3://cluster-backups/"+cloud.Region(), "backup destination URL")
	metricsAddr := flag.String("metrics-addr", ":8080", "metrics listen address")
	resync := flag.Duration("resync", 10*time.Minute, "informer resync period")
	cluster := flag.String("cluster", "", "cluster name, for the AWS inventory")
	keySecret := flag.String("key-secret", "", "Secrets Manager ID of the backup encryption key")
	otlpEndpoint := flag.String("otlp-endpoint", "", "OTLP/gRPC endpoint for traces; empty disables tracing")
	pubsubTopic := flag.String("pubsub-topic", "", "project/topic to notify after each backup")
	var extra stringList
	flag.Var(&extra, "resource", "extra resource to watch, as resource.version.group (repeatable)")
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
	if *otlpEndpoint != "" {
		shutdown, err := telemetry.Setup(ctx, "big", *otlpEndpoint)
		if err != nil {
			log.Error(err, "telemetry")
			os.Exit(1)
		}
		defer shutdown(context.Background())
	}
	sink, err := backup.Open(ctx, *dest)
	if err != nil {
		log.Error(err, "backup sink")
		os.Exit(1)
	}
	rec := &controller.ConfigMapReconciler{Client: mgr.GetClient(), Sink: sink}
	if project, topic, ok := strings.Cut(*pubsubTopic, "/"); ok {
		pub, err := notify.New(ctx, project, topic)
		if err != nil {
			log.Error(err, "pubsub")
			os.Exit(1)
		}
		defer pub.Close()
		rec.Notify = func(ctx context.Context, object string) error {
			return pub.Publish(ctx, notify.Event{Object: object, Dest: sink.String(), At: time.Now()})
		}
	}
	if err := rec.SetupWithManager(mgr); err != nil {
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

	if err := watchCustomResources(ctx, restCfg, extra, log.WithName("dynamic")); err != nil {
		log.Error(err, "dynamic informers")
	}
	if *cluster != "" {
		if inv, err := awsinv.Collect(ctx, *cluster, *keySecret); err != nil {
			log.Error(err, "aws inventory")
		} else {
			log.Info("aws inventory", "account", inv.Account, "nodes", len(inv.Instances), "key", inv.KeyARN)
		}
	}

	log.Info("starting", "dest", sink.String(), "region", cloud.Region())
	if err := mgr.Start(ctx); err != nil {
		log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }
