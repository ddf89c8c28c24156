module gotrim.test/gohelper

go 1.22
