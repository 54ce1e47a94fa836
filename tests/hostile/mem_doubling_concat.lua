-- attack: a string doubled until memory runs out
-- expect: error "not enough memory"
local s = "x"
while true do s = s .. s end
