// Package job describes units of work.
package job

// Job is a unit of work; id is set when it is read from a feed.
type Job struct {
	Name string
	id   int
}

// Named returns a Job called name.
func Named(name string) Job { return Job{Name: name} }

// ID returns the job's number (0 for a job not read from a feed).
func (j Job) ID() int { return j.id }
