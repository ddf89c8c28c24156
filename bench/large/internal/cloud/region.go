package cloud

import (
	"os"
	"strings"
)

// DefaultRegion is the region used when the environment names none.
const DefaultRegion = "us-east-1"

// Region returns the cloud region the process runs in, from AWS_REGION,
// AWS_DEFAULT_REGION or CLOUD_REGION, in that order.
func Region() string {
	for _, name := range []string{"AWS_REGION", "AWS_DEFAULT_REGION", "CLOUD_REGION"} {
		if v := strings.TrimSpace(os.Getenv(name)); v != "" {
			return v
		}
	}
	return DefaultRegion
}

// Partition returns the AWS partition of region ("aws", "aws-cn" or "aws-us-gov").
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	default:
		return "aws"
	}
}
