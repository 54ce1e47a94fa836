-- attack: result table whose __pairs loops
-- expect: ok [{"x": 1}]
return setmetatable({x = 1}, {__pairs = function() while true do end end})
