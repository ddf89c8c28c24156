// Package cloud holds the small helpers every binary of the module uses to
// find out where it runs, and the AWS S3 client the backup jobs use.
package cloud
