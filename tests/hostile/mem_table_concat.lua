-- attack: table.concat of many large strings
-- expect: error "not enough memory"
local t = {}
for i = 1, 100 do t[i] = string.rep("x", 2^20) end
return #table.concat(t, "", 1, 100) + #table.concat({table.concat(t), table.concat(t)})
