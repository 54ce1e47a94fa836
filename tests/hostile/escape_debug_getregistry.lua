-- attack: debug.getregistry reaches every value in the state
-- expect: error "attempt to index a nil value (global 'debug')"
return debug.getregistry()
