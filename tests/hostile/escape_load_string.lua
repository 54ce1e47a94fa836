-- attack: load compiles code in a chosen environment
-- expect: error "attempt to call a nil value (global 'load')"
return load("return _ENV")()
