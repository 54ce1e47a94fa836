-- Trusted code, run once per Lua state by boot.lua with the string metatable.
-- Lua 5.3 semantics a Wippy program could notice on our Lua 5.4 (docs/lua-types.md
-- "Lua 5.3 and 5.4"): 5.3 converts numeric strings in bitwise operators
-- ("3" & 1 == 1); 5.4 dropped that and raises. Arithmetic on strings already
-- agrees (5.4's string metamethods give 5.3's results), so only bitwise is added.
local string_mt = ...
local type, tonumber, tointeger, error = type, tonumber, math.tointeger, error

local function int_of(v)
    if type(v) ~= "string" then return v end   -- numbers, or another metamethod's turn
    local n = tonumber(v)
    if n == nil then error("attempt to perform bitwise operation on a string value", 3) end
    local i = tointeger(n)
    if i == nil then error("number has no integer representation", 3) end
    return i
end

string_mt.__band = function(a, b) return int_of(a) & int_of(b) end
string_mt.__bor = function(a, b) return int_of(a) | int_of(b) end
string_mt.__bxor = function(a, b) return int_of(a) ~ int_of(b) end
string_mt.__shl = function(a, b) return int_of(a) << int_of(b) end
string_mt.__shr = function(a, b) return int_of(a) >> int_of(b) end
string_mt.__bnot = function(a) return ~int_of(a) end
