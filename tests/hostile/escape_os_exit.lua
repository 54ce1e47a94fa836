-- attack: os.exit(3) kills the host process
-- expect: error "attempt to call a nil value (field 'exit')"
os.exit(3)
