-- attack: a recursive type checked against a cyclic value, then a type defined by itself
-- expect: ok ["value nested too deeply to check", "invalid type: type defined in terms of itself"]
type Node = {value: number, next: Node?}
type A = B
type B = A
local cyc = {value = 1}
cyc.next = cyc
local _, err = Node:is(cyc)
return tostring(err):sub(-32), select(2, pcall(A, 1))
