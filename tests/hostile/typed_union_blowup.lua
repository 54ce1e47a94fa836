-- attack: a union whose every member fails only at the deepest level, checked against a deep value: 2^depth member checks
-- expect: timeout
type T = {n: T?, a: number} | {n: T?, b: number}
local v = {a = 1}
for i = 1, 60 do v = {a = 1, n = v} end   -- 61 levels, each matching the first member
local leaf = v
while leaf.n do leaf = leaf.n end
leaf.a, leaf.c = nil, true                 -- the innermost matches no member: every path fails there
return T:is(v)
