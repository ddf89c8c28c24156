module example.com/namedispatch

go 1.22

require example.com/hooks v1.0.0
