// Package awsinv lists the AWS resources the operator's backups belong to:
// the account, the EC2 instances of the cluster nodes, and the secret that
// holds the backup encryption key.
package awsinv

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"example.com/large/internal/cloud"
)

// Inventory is what Collect found.
type Inventory struct {
	Account   string
	Instances []string
	KeyARN    string
}

// Collect lists the account, the running instances tagged with the cluster
// name, and the ARN of secretID.
func Collect(ctx context.Context, cluster, secretID string) (*Inventory, error) {
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion(cloud.Region()))
	if err != nil {
		return nil, fmt.Errorf("awsinv: %w", err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return nil, fmt.Errorf("awsinv: caller identity: %w", err)
	}
	inv := &Inventory{Account: aws.ToString(id.Account)}

	p := ec2.NewDescribeInstancesPaginator(ec2.NewFromConfig(cfg), &ec2.DescribeInstancesInput{
		Filters: []ec2types.Filter{
			{Name: aws.String("tag:kubernetes.io/cluster/" + cluster), Values: []string{"owned", "shared"}},
			{Name: aws.String("instance-state-name"), Values: []string{"running"}},
		},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("awsinv: describe instances: %w", err)
		}
		for _, r := range page.Reservations {
			for _, i := range r.Instances {
				inv.Instances = append(inv.Instances, aws.ToString(i.InstanceId))
			}
		}
	}

	if secretID != "" {
		out, err := secretsmanager.NewFromConfig(cfg).DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(secretID)})
		if err != nil {
			return nil, fmt.Errorf("awsinv: describe secret: %w", err)
		}
		inv.KeyARN = aws.ToString(out.ARN)
	}
	return inv, nil
}
