module example.com/splittyped

go 1.22
