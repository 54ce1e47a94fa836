-- attack: io.popen runs a shell command
-- expect: error "attempt to index a nil value (global 'io')"
return io.popen("touch $TMP/canary"):read("a")
