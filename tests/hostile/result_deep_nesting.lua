-- attack: 200 000 nested tables as the result
-- expect: error "invalid handler result"
local t = {}
for i = 1, 200000 do t = {t} end
return t
