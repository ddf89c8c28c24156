module example.com/split

go 1.22

require example.com/splitlib v0.0.0

replace example.com/splitlib => ./lib
