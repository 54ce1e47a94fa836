-- attack: a table grown until memory runs out
-- expect: error "not enough memory"
local t = {}
local i = 0
while true do i = i + 1; t[i] = {i} end
