module example.com/pagelib

go 1.22
