package winsvc

// Install registers the service with the service manager.
func Install(name string) error { return registerService(name) }
