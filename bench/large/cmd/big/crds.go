package main

import (
	"context"
	"time"

	"github.com/go-logr/logr"
	apiextclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// watchCustomResources starts a dynamic informer for every resource the
// operator is asked to back up by group/version/resource, after checking
// through discovery that the API server serves it.
func watchCustomResources(ctx context.Context, cfg *rest.Config, resources []string, log logr.Logger) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	ext, err := apiextclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	f := dynamicinformer.NewDynamicSharedInformerFactory(dyn, 10*time.Minute)
	for _, r := range resources {
		gvr, _ := schema.ParseResourceArg(r)
		if gvr == nil {
			continue
		}
		crdName := gvr.GroupResource().String()
		if _, err := ext.ApiextensionsV1().CustomResourceDefinitions().Get(ctx, crdName, metav1.GetOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return err
		}
		if _, err := mapper.KindFor(*gvr); err != nil {
			log.Info("resource not served, skipped", "resource", r, "err", err)
			continue
		}
		f.ForResource(*gvr).Informer()
	}
	f.Start(ctx.Done())
	return nil
}
