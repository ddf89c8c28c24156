module example.com/nested/tools

go 1.22

require example.com/nested v0.0.0

replace example.com/nested => ../
