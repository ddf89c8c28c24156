package cloud

import "testing"

func TestRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("CLOUD_REGION", "")
	if got := Region(); got != DefaultRegion {
		t.Fatalf("Region() = %q, want %q", got, DefaultRegion)
	}
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-3")
	if got := Region(); got != "eu-west-3" {
		t.Fatalf("Region() = %q", got)
	}
}

func TestPartition(t *testing.T) {
	for region, want := range map[string]string{"cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov", "eu-west-1": "aws"} {
		if got := Partition(region); got != want {
			t.Errorf("Partition(%q) = %q, want %q", region, got, want)
		}
	}
}
