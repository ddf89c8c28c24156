package tagger

import (
	"fmt"
	"os"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"example.com/seed/pkg/config"
)

// userAgent is sent with every request to the API server.
const userAgent = "seed-agent/tagger"

// KubeRESTConfig returns the REST configuration for cfg: the kubeconfig file
// when cfg.Kubeconfig is set, the in-cluster service account otherwise.
func KubeRESTConfig(cfg config.Config) (*rest.Config, error) {
	var (
		rc  *rest.Config
		err error
	)
	if cfg.Kubeconfig != "" {
		rc, err = clientcmd.BuildConfigFromFlags("", cfg.Kubeconfig)
	} else {
		rc, err = rest.InClusterConfig()
	}
	if err != nil {
		return nil, fmt.Errorf("tagger: kubernetes config: %w", err)
	}
	rc.UserAgent = userAgent
	rc.Timeout = 10 * time.Second
	rc.QPS, rc.Burst = 20, 40
	return rc, nil
}

// NewKubeClient builds a Kubernetes clientset for cfg.
func NewKubeClient(cfg config.Config) (kubernetes.Interface, error) {
	rc, err := KubeRESTConfig(cfg)
	if err != nil {
		return nil, err
	}
	cs, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("tagger: kubernetes client: %w", err)
	}
	return cs, nil
}

// inCluster reports whether the process runs in a pod with a service account.
func inCluster() bool {
	return os.Getenv("KUBERNETES_SERVICE_HOST") != "" && os.Getenv("KUBERNETES_SERVICE_PORT") != ""
}
