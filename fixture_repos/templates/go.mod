module example.com/templates

go 1.22
