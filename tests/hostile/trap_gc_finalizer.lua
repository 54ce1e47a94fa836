-- attack: a __gc finalizer loops (hooks are off inside finalizers)
-- expect: error "__gc metamethods are not allowed"
setmetatable({}, {__gc = function() while true do end end})
return true
