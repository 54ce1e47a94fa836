-- Places where type syntax and plain Lua look alike
local obj = {m = function(self, v) return v end}
local r1 = obj:m(1)                       -- method call, not a cast
local r2 = obj:m(2) :: number             -- method call, then a cast
for i = 1, 3 do
    if i == 2 then goto continue end
    local c = i :: integer
    ::continue::
end
local ne = r1 ~= r2                       -- `~=`, not `!`
local nn = obj!.m                         -- `!` then `.`
local lt = r1 < r2 and r2 > r1            -- comparison, not generics
local function gen<T>(a: T): T return a end
local shifted = 1 << 2 >> 1
local as = 5                              -- `as` as a name
local as2 = as as number                  -- ... and as a cast
local tbl = {as = as}
tbl.as = as
local map: {[string]: {number}}= {}
local nested: Result<Map<string, number>>= nil
local type_name = type(as)                -- `type` as a function
local t2 = {type = "x"}
t2.type = "y"
local idiv = 7 // 2
local bits = 5 & 3 | 8 ~ 1
local label_after_cast = r1 :: number
::done::
return {r1 = r1, r2 = r2, ne = ne, as = as, as2 = as2, shifted = shifted, type_name = type_name,
        idiv = idiv, lt = lt, tbl = tbl}
