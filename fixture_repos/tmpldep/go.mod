module example.com/tmpldep

go 1.22

require (
	example.com/helpcli v1.0.0
	example.com/pagelib v1.0.0
)
