module example.com/gormdce

go 1.22

require github.com/jinzhu/gorm v1.9.16

require (
	github.com/jinzhu/inflection v1.0.0 // indirect
	github.com/lib/pq v1.1.1 // indirect
)
