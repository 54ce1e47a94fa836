-- attack: result table whose __index loops (Python-side indexing would hang)
-- expect: ok [{"x": 1}]
return setmetatable({x = 1}, {__index = function(t, k) while true do end end})
