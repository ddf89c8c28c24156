module example.com/seed

go 1.26.0
