-- attack: more values than the per-call result cap (1 000 000)
-- expect: error "too large"
local t = {}
for i = 1, 1000001 do t[i] = i end
return t
