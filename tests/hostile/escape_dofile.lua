-- attack: dofile runs a host Lua file
-- expect: error "attempt to call a nil value (global 'dofile')"
return dofile("/etc/hostname")
