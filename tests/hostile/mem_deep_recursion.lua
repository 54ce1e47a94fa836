-- attack: unbounded recursion
-- expect: error "stack overflow" | error "not enough memory"
local function f() return 1 + f() end
return f()
