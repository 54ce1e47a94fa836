-- attack: error value that is a self-referencing table
-- expect: error "table: 0x"
local t = {}
t.self = t
error(t)
