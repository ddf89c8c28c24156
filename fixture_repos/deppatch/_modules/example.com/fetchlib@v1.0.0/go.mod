module example.com/fetchlib

go 1.22
