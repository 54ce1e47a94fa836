-- attack: os.getenv reads the host environment (secrets)
-- expect: error "attempt to call a nil value (field 'getenv')"
return os.getenv("HOME")
