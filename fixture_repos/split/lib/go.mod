module example.com/splitlib

go 1.22
