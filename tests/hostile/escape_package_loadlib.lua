-- attack: package.loadlib loads native code
-- expect: error "attempt to index a nil value (global 'package')"
return package.loadlib("libc.so.6", "*")
