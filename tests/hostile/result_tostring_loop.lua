-- attack: result table whose __tostring loops
-- expect: ok [{"x": 1}]
return setmetatable({x = 1}, {__tostring = function() while true do end end})
