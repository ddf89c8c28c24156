module example.com/splitcycle

go 1.22
