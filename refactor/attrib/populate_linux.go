package main

import "syscall"

// mapPopulate maps the whole file at once: one call instead of a page fault per 4 KiB read.
const mapPopulate = syscall.MAP_POPULATE
