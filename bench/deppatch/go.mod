module example.com/benchdeppatch

go 1.22

require github.com/spf13/afero v1.11.0

require golang.org/x/text v0.14.0 // indirect
