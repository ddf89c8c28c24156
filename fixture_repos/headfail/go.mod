module example.com/headfail

go 1.22
