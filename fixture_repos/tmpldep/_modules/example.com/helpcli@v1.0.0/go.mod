module example.com/helpcli

go 1.22
