-- attack: os.remove deletes a host file
-- expect: error "attempt to call a nil value (field 'remove')"
return os.remove("$TMP/app.db")
