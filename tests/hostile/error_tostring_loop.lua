-- attack: error object whose __tostring loops (the engine stringifies errors)
-- expect: timeout | error "(error object is a table value)"
error(setmetatable({}, {__tostring = function() while true do end end}))
