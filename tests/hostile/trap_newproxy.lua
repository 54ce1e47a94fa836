-- attack: newproxy makes userdata with a finalizer
-- expect: error "attempt to call a nil value (global 'newproxy')"
return newproxy(true)
