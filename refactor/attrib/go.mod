module gotrim/attrib

go 1.22
