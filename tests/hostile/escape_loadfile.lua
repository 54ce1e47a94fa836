-- attack: loadfile compiles a host file
-- expect: error "attempt to call a nil value (global 'loadfile')"
return loadfile("/etc/hostname")
