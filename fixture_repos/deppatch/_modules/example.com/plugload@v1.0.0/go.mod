module example.com/plugload

go 1.22
