-- attack: a result table that contains itself
-- expect: error "invalid handler result"
local t = {}
t.self = t
return t
