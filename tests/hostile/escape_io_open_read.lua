-- attack: io.open reads a host file
-- expect: error "attempt to index a nil value (global 'io')"
return io.open("/etc/hostname"):read("a")
