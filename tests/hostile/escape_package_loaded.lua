-- attack: package.loaded.python holds the python module
-- expect: error "attempt to index a nil value (global 'package')"
return package.loaded.python.eval("1")
