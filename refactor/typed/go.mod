module gotrim/typed

go 1.22
