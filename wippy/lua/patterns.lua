-- Trusted code, loaded by boot.lua with the real string library.
-- Pattern guards. Lua's matcher is C code the count hook never reaches, so
-- `string.find(("a"):rep(26), ("a*"):rep(26).."b")` would spin past any
-- deadline. Refused: long patterns, many repetitions, and chains of k adjacent
-- repetitions with overlapping classes on subjects where the worst case,
-- starts * n^k / k!, passes 1e9 steps (~1 s; "a*a*b" on 3000 bytes took 15 s).
-- Risk reduction only: the engine's hard deadline stays the backstop.
local MAX_PATTERN, MAX_REPEATS, MAX_STEPS = 1024, 32, 1e9
local string = ...
local s_find, s_char, s_sub, s_byte = string.find, string.char, string.sub, string.byte
local next, type, tostring, error = next, type, tostring, error
local CLASS_BYTES, PATTERN_INFO, cached = {}, {}, 0
local function class_bytes(c)            -- class text -> {[byte] = true}
    local set = CLASS_BYTES[c]
    if set == nil then
        set = {}
        for b = 0, 255 do if s_find(s_char(b), "^" .. c .. "$") then set[b] = true end end
        CLASS_BYTES[c] = set
    end
    return set
end
local function overlap(a, b)
    for k in next, a do if b[k] then return true end end
    return false
end
-- -> longest chain of adjacent overlapping `*`/`+`/`-` items, number of such items
local function analyse(p)
    local i, n, prev, chain, longest, repeats = 1, #p, nil, 0, 0, 0
    if s_byte(p, 1) == 94 then i = 2 end                          -- ^
    while i <= n do
        local c, class = s_sub(p, i, i), nil
        if c == "(" or c == ")" then i = i + 1
        elseif c == "%" then
            local d = s_sub(p, i + 1, i + 1)
            if d == "b" or s_find(d, "^%d$") then i, prev, chain = i + (d == "b" and 4 or 2), nil, 0
            elseif d == "f" then i = (s_find(p, "]", i + 4, true) or n) + 1
            else class, i = s_sub(p, i, i + 1), i + 2 end
        elseif c == "[" then
            local j = i + 1
            if s_sub(p, j, j) == "^" then j = j + 1 end
            if s_sub(p, j, j) == "]" then j = j + 1 end
            while j <= n and s_sub(p, j, j) ~= "]" do j = j + (s_sub(p, j, j) == "%" and 2 or 1) end
            if j > n then break end                               -- malformed: Lua reports it
            class, i = s_sub(p, i, j), j + 1
        else class, i = c, i + 1 end
        local q = class and s_sub(p, i, i)
        if q == "*" or q == "+" or q == "-" then
            local set = class_bytes(class)
            chain = (prev and overlap(prev, set)) and chain + 1 or 1
            i, prev, repeats = i + 1, set, repeats + 1
            if chain > longest then longest = chain end
        elseif q == "?" then i = i + 1
        elseif class then prev, chain = nil, 0 end
    end
    return {longest, repeats}
end
local function guard_pattern(fname, s, p)
    if type(s) == "number" then s = tostring(s) end
    if type(p) == "number" then p = tostring(p) end
    if type(p) ~= "string" or type(s) ~= "string" then return end  -- Lua's own errors apply
    if #p > MAX_PATTERN then error(fname .. ": pattern too long (" .. #p .. " bytes, at most " .. MAX_PATTERN .. ")", 3) end
    local info = PATTERN_INFO[p]
    if info == nil then
        if cached >= 1000 then PATTERN_INFO, CLASS_BYTES, cached = {}, {}, 0 end
        info, cached = analyse(p), cached + 1
        PATTERN_INFO[p] = info
    end
    if info[2] > MAX_REPEATS then
        error(fname .. ": pattern too complex (" .. info[2] .. " repetitions, at most " .. MAX_REPEATS .. ")", 3)
    end
    local n = #s + 1
    local steps = s_byte(p, 1) == 94 and 1 or n
    for k = 1, info[1] >= 2 and info[1] or 0 do
        steps = steps * n / k
        if steps > MAX_STEPS then
            error(fname .. ": pattern too complex for a " .. #s .. "-byte subject (" .. info[1] ..
                  " adjacent overlapping repetitions backtrack exponentially)", 3)
        end
    end
end
local function guarded(fname, f)
    return function(s, p, init, plain, ...)
        if not (plain and fname == "find") then guard_pattern(fname, s, p) end
        return f(s, p, init, plain, ...)
    end
end

local out = {}
for _, fname in ipairs({"find", "match", "gmatch", "gsub"}) do out[fname] = guarded(fname, string[fname]) end
return out
