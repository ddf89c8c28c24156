// Package controller holds the reconcilers of the backup operator.
package controller

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"example.com/large/internal/backup"
)

// BackupAnnotation marks the ConfigMaps the operator backs up.
const BackupAnnotation = "backup.example.com/enabled"

// ConfigMapReconciler snapshots annotated ConfigMaps to a backup sink.
type ConfigMapReconciler struct {
	client.Client
	Sink backup.Sink
	// Notify, if set, is called with "namespace/name" after each backup.
	Notify func(ctx context.Context, object string) error
}

// Reconcile implements reconcile.Reconciler.
func (r *ConfigMapReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var cm corev1.ConfigMap
	if err := r.Get(ctx, req.NamespacedName, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return ctrl.Result{}, nil
		}
		return ctrl.Result{}, err
	}
	data, err := json.Marshal(&cm)
	if err != nil {
		return ctrl.Result{}, err
	}
	name := fmt.Sprintf("configmaps/%s/%s/%d.json", cm.Namespace, cm.Name, time.Now().Unix())
	if err := r.Sink.Put(ctx, name, data); err != nil {
		return ctrl.Result{RequeueAfter: time.Minute}, err
	}
	if r.Notify != nil {
		if err := r.Notify(ctx, req.String()); err != nil {
			logger.Error(err, "notify failed", "configmap", req.NamespacedName)
		}
	}
	logger.Info("backed up", "configmap", req.NamespacedName, "to", r.Sink.String())
	return ctrl.Result{}, nil
}

// SetupWithManager registers the reconciler with mgr.
func (r *ConfigMapReconciler) SetupWithManager(mgr ctrl.Manager) error {
	annotated := predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetAnnotations()[BackupAnnotation] == "true"
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&corev1.ConfigMap{}).
		WithEventFilter(annotated).
		Complete(r)
}
