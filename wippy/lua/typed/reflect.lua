-- Trusted code, loaded by boot.lua after types.lua: what handler code can do
-- with a type value (call it, :is, reflection, ==, <=, <, tostring) and the
-- globals of en/lua/types.md (typeof, Number, String, integer(x), ...).
local core = ...
local DATA, MT, METHODS, P, B = core.DATA, core.MT, core.METHODS, core.P, core.B
local resolve, describe, data_of, is_type = core.resolve, core.describe, core.data_of, core.is_type
local validate, cast, converted, make_error = core.validate, core.cast, core.converted, core.make_error
local type, next, error, pcall, tostring, rawequal, math_type =
    type, next, error, pcall, tostring, rawequal, math.type
local MAX_DEPTH = 32

local function structure(t)
    local ok, d = pcall(resolve, data_of(t, "self"))
    if not ok then error(d, 3) end
    return d
end

---------------------------------------------------------------- reflection
function METHODS.is(t, v)
    data_of(t, "self")
    local err = validate(t, v)
    if err then return nil, make_error("Invalid", err, false) end
    return converted(t, v), nil
end
function METHODS.kind(t) return structure(t).kind end
function METHODS.name(t)
    local d = data_of(t, "self")
    while d.kind == "valid" do d = DATA[d.base] end
    return d.name
end
local function iterate(list, pick)
    local i = 0
    return function()
        i = i + 1
        local item = list[i]
        if item ~= nil then return pick(item) end
    end
end
function METHODS.fields(t)
    local d = structure(t)
    return iterate(d.kind == "record" and d.fields or {}, function(f) return f[1], f[2] end)
end
function METHODS.variants(t)
    local d = structure(t)
    return iterate(d.kind == "union" and d.members or {t}, function(m) return m end)
end
function METHODS.params(t)
    local d = structure(t)
    return iterate(d.kind == "function" and d.params or {}, function(p) return p end)
end
function METHODS.elem(t) return structure(t).elem end
function METHODS.key(t) return structure(t).key end
function METHODS.val(t) return structure(t).val end
function METHODS.inner(t) return structure(t).inner end
function METHODS.ret(t) return structure(t).ret end
function METHODS.optional(t) return structure(t).kind == "optional" end

-- `User.name` is the type of field `name`; other names are the methods above.
-- A field named like a method (`name`, `kind`...) gives its type wrapped so that
-- `User:name()` (the wrapper called with User itself) still runs the method.
local function field_or_method(t, d, k)
    local f = d.by_name[k][2]
    local m = METHODS[k]
    if m == nil then return f end
    local own = DATA[t]
    own.wrappers = own.wrappers or {}
    local w = own.wrappers[k]
    if w == nil then
        w = core.new({kind = "valid", base = f, checks = {}, method_of = t, method = m})
        own.wrappers[k] = w
    end
    return w
end
MT.__index = function(t, k)
    local ok, d = pcall(resolve, DATA[t])
    if ok and d.kind == "record" and d.by_name[k] then return field_or_method(t, d, k) end
    return METHODS[k]
end
MT.__call = function(t, v, ...)
    local d = DATA[t]
    if d.method_of ~= nil and rawequal(v, d.method_of) then return d.method(v, ...) end
    local r = cast(t, v, 2)
    return r   -- not a tail call: the error level must name the caller's line
end
MT.__newindex = function() error("types are read-only", 2) end
MT.__tostring = function(t)
    local ok, s = pcall(describe, t)
    return ok and s or "type"
end

---------------------------------------------------------------- comparison
-- Structural equality and subtyping (en/lua/types.md "Subtyping"), depth-bounded:
-- past MAX_DEPTH two recursive types compare equal.
local same, sub
function same(a, b, depth)
    if rawequal(a, b) or depth > MAX_DEPTH then return true end
    local x, y = resolve(DATA[a]), resolve(DATA[b])
    if rawequal(x, y) then return true end
    if x.kind ~= y.kind then return false end
    local k = x.kind
    if k == "literal" then return x.value == y.value end
    if k == "optional" or k == "variadic" then return same(x.inner, y.inner, depth + 1) end
    if k == "array" then return same(x.elem, y.elem, depth + 1) end
    if k == "map" then return same(x.key, y.key, depth + 1) and same(x.val, y.val, depth + 1) end
    if k == "union" or k == "intersection" or k == "tuple" then
        if #x.members ~= #y.members then return false end
        for i = 1, #x.members do
            if not same(x.members[i], y.members[i], depth + 1) then return false end
        end
        return true
    end
    if k == "record" then
        if #x.fields ~= #y.fields then return false end
        for i = 1, #x.fields do
            local f, g = x.fields[i], y.by_name[x.fields[i][1]]
            if g == nil or f[3] ~= g[3] or f[4] ~= g[4] or not same(f[2], g[2], depth + 1) then
                return false
            end
        end
        return true
    end
    if k == "function" then
        if x.params == nil or y.params == nil then return x.params == y.params end  -- `function`
        if #x.params ~= #y.params then return false end
        for i = 1, #x.params do
            if not same(x.params[i], y.params[i], depth + 1) then return false end
        end
        return same(x.ret, y.ret, depth + 1)
    end
    return true   -- primitives of the same kind
end

local LITERAL_KIND = {string = "string", number = "number", boolean = "boolean"}
function sub(a, b, depth)
    if depth > MAX_DEPTH or same(a, b, depth) then return true end
    local x, y = resolve(DATA[a]), resolve(DATA[b])
    if y.kind == "any" or y.kind == "unknown" or x.kind == "never" then return true end
    if x.kind == "integer" and y.kind == "number" then return true end
    if x.kind == "literal" then
        local lk = LITERAL_KIND[type(x.value)]
        if lk == y.kind or (y.kind == "integer" and math_type(x.value) == "integer") then return true end
    end
    if x.kind == "union" then
        for i = 1, #x.members do
            if not sub(x.members[i], b, depth + 1) then return false end
        end
        return true
    end
    if y.kind == "optional" then
        return x.kind == "nil" or sub(a, y.inner, depth + 1)
            or (x.kind == "optional" and sub(x.inner, y.inner, depth + 1))
    end
    if y.kind == "union" then
        for i = 1, #y.members do
            if sub(a, y.members[i], depth + 1) then return true end
        end
        return false
    end
    -- Variance as en/lua/types.md states it: a readonly field of the supertype is
    -- covariant, a writeonly one contravariant, a mutable one invariant; function
    -- parameters are contravariant and returns covariant. Extra fields are fine (width).
    if x.kind == "record" and y.kind == "record" then
        for i = 1, #y.fields do
            local g = y.fields[i]
            local f = x.by_name[g[1]]
            if f == nil then
                if not g[3] then return false end
            else
                local ok
                if g[4] == "read" then ok = sub(f[2], g[2], depth + 1)
                elseif g[4] == "write" then ok = sub(g[2], f[2], depth + 1)
                else ok = sub(f[2], g[2], depth + 1) and sub(g[2], f[2], depth + 1) end
                if not ok then return false end
            end
        end
        return true
    end
    if x.kind == "function" and y.kind == "function" then
        if y.params == nil then return true end            -- every function type <= `function`
        if x.params == nil or #x.params ~= #y.params then return false end
        for i = 1, #x.params do
            if not sub(y.params[i], x.params[i], depth + 1) then return false end
        end
        if x.ret == nil or y.ret == nil then return y.ret == nil end
        return sub(x.ret, y.ret, depth + 1)
    end
    if x.kind == y.kind and (x.kind == "array") then return sub(x.elem, y.elem, depth + 1) end
    if x.kind == y.kind and (x.kind == "map") then
        return sub(x.key, y.key, depth + 1) and sub(x.val, y.val, depth + 1)
    end
    if y.kind == "table" and (x.kind == "record" or x.kind == "array" or x.kind == "map") then
        return true
    end
    return false
end

local function compare(f)
    return function(a, b)
        if not (is_type(a) and is_type(b)) then error("attempt to compare a type with a non-type", 2) end
        local ok, r = pcall(f, a, b, 0)
        if not ok then error(r, 2) end
        return r
    end
end
MT.__eq = compare(same)
MT.__le = compare(sub)
MT.__lt = compare(function(a, b, d) return sub(a, b, d) and not same(a, b, d) end)

---------------------------------------------------------------- globals
-- typeof(v): the declared type when the compiler passes one (a local declared
-- `x: T`), else the type of the value as `type()` sees it.
local BY_TYPE = {number = P.number, string = P.string, boolean = P.boolean, table = P.table,
                 ["function"] = P["function"], thread = P.thread, userdata = P.userdata,
                 ["nil"] = P["nil"]}
local function typeof(v, declared)
    if is_type(declared) then return declared end
    return BY_TYPE[type(v)] or P.any
end

local builder = {}
for k, f in next, B do builder[k] = f end
return {
    builder = builder,   -- what compiled `type` declarations call (__wippy_types)
    is_type = is_type,
    string_cast = function(_, v) local r = cast(P.string, v, 2); return r end,
    globals = {
        typeof = typeof,
        Number = P.number, Integer = P.integer, String = P.string, Boolean = P.boolean,
        Any = P.any, Unknown = P.unknown, Nil = P["nil"], Never = P.never, Table = P.table,
        number = P.number, integer = P.integer, boolean = P.boolean,
    },
}
