-- attack: os.execute runs a shell command that writes a canary
-- expect: error "attempt to call a nil value (field 'execute')"
return os.execute("touch $TMP/canary")
