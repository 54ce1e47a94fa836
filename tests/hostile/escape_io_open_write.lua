-- attack: io.open writes a canary file
-- expect: error "attempt to index a nil value (global 'io')"
local f = io.open("$TMP/canary", "w")
f:write("pwned")
f:close()
return true
