module example.com/deppatch

go 1.22

require example.com/fetchlib v1.0.0
