-- Validators on locals, record fields, array elements, union members; doc comments
local x: number @min(0) = 1
local y: number @min(0) @max(100) = 50
local email: string @pattern("^.+@.+$") = "test@example.com"
local s: string @min_len(1) = "hi"
local t: string @max_len(10) = "hi"
type User = {
    age: number @min(0) @max(150),
    name: string @min_len(1) @max_len(100)
}
local scores: {number @min(0) @max(100)} = {85, 90}
local id: number @min(1) | string @min_len(1) = 1
local neg: number @min(-5.5) = 0
--- A documented function.
--- @param n the count
local function documented(n: integer): integer return n end
function old_function(x)
    return x + 1
end
function new_function(x: number): number
    return x + 1
end
