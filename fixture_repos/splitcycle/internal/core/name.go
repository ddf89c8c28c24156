package core

// Name returns the banner of the default service, "name/version". It
// needs no heavy package itself, but it reads the fields of Default, a
// *Service.
func Name() string {
	return banner(Default)
}

// banner formats the name and version of s.
func banner(s *Service) string {
	return s.name + "/" + s.version
}
