-- Trusted code, loaded once per Lua state by boot.lua: runtime type values
-- (en/lua/types.md "Type Casts", "Type Reflection", "Type Validators").
--
-- A type value is an empty proxy table; what it describes lives in a weak side
-- table only this file can read, so handler code sees nothing but the methods.
-- Every walk over types or values is bounded (MAX_DEPTH, MAX_HOPS): recursive
-- types and cyclic data end in an error, never in a stack overflow.
local env = ...   -- {make_error, is_error, find (the sandbox's guarded string.find)}
local make_error, is_error, s_find = env.make_error, env.is_error, env.find
local setmetatable, type, next, error, tostring, select = setmetatable, type, next, error, tostring, select
local math_type, tointeger, s_format, concat = math.type, math.tointeger, string.format, table.concat
local MAX_DEPTH, MAX_HOPS, MAX_DESCRIBE = 100, 100, 4

local DATA = setmetatable({}, {__mode = "k"})
local MT, METHODS = {__metatable = false}, {}
local function is_type(v) return DATA[v] ~= nil end
local function new(d)
    local t = setmetatable({}, MT)
    DATA[t] = d
    return t
end
local function data_of(t, what)
    local d = DATA[t]
    if d == nil then error((what or "argument") .. " is not a type", 3) end
    return d
end

-- Follow names, validator wrappers and forward references to the structure.
local function resolve(d)
    for _ = 1, MAX_HOPS do
        local k = d.kind
        if k == "ref" then
            local target = d.target
            if target == nil then
                target = d.get()
                if not is_type(target) then
                    error("unknown type '" .. d.name .. "'", 0)
                end
                d.target = target
            end
            d = DATA[target]
        elseif k == "named" or k == "valid" then
            d = DATA[d.base]
        else
            return d
        end
    end
    error("type defined in terms of itself", 0)
end

---------------------------------------------------------------- constructors
local P = {}
for _, k in next, {"any", "unknown", "nil", "never", "number", "integer", "string", "boolean",
                   "table", "thread", "userdata", "function", "error"} do
    P[k] = new({kind = k, name = k})
end
local B = {P = P}
function B.lit(v) return new({kind = "literal", value = v}) end
function B.opt(t) return new({kind = "optional", inner = t}) end
function B.array(t) return new({kind = "array", elem = t}) end
function B.map(k, v) return new({kind = "map", key = k, val = v}) end
function B.union(ts) return new({kind = "union", members = ts}) end
function B.inter(ts) return new({kind = "intersection", members = ts}) end
function B.tuple(ts) return new({kind = "tuple", members = ts}) end
function B.variadic(t) return new({kind = "variadic", inner = t}) end
function B.func(params, ret) return new({kind = "function", params = params, ret = ret}) end
function B.ref(name, get) return new({kind = "ref", name = name, get = get}) end
function B.named(name, t) return new({kind = "named", name = name, base = t}) end
function B.valid(t, checks) return new({kind = "valid", base = t, checks = checks}) end
function B.record(fields, ik, iv)
    local by_name = {}
    for i = 1, #fields do by_name[fields[i][1]] = fields[i] end
    return new({kind = "record", fields = fields, by_name = by_name, ikey = ik, ival = iv})
end

---------------------------------------------------------------- describe
local describe
local function list(ts, sep, depth)
    local out = {}
    for i = 1, #ts do
        if i > 8 then out[#out + 1] = "..."; break end
        out[i] = describe(ts[i], depth)
    end
    return concat(out, sep)
end
function describe(t, depth)
    depth = (depth or 0) + 1
    local d = DATA[t]
    if d.name and d.kind ~= "ref" then return d.name end
    if depth > MAX_DESCRIBE then return "..." end
    if d.kind == "ref" then return d.name end
    if d.kind == "valid" then return describe(d.base, depth - 1) end
    d = resolve(d)
    local k = d.kind
    if k == "literal" then
        return type(d.value) == "string" and s_format("%q", d.value) or tostring(d.value)
    elseif k == "optional" then return describe(d.inner, depth) .. "?"
    elseif k == "union" then return list(d.members, " | ", depth)
    elseif k == "intersection" then return list(d.members, " & ", depth)
    elseif k == "array" then return "{" .. describe(d.elem, depth) .. "}"
    elseif k == "map" then return "{[" .. describe(d.key, depth) .. "]: " .. describe(d.val, depth) .. "}"
    elseif k == "record" then
        local out = {}
        for i = 1, #d.fields do
            if i > 8 then out[#out + 1] = "..."; break end
            local f = d.fields[i]
            out[i] = f[1] .. (f[3] and "?: " or ": ") .. describe(f[2], depth)
        end
        return "{" .. concat(out, ", ") .. "}"
    elseif k == "function" then
        return "(" .. list(d.params, ", ", depth) .. ") -> " .. describe(d.ret, depth)
    end
    return k
end

---------------------------------------------------------------- checking
local function join(path, key)
    if type(key) == "number" then return path .. "[" .. tostring(key) .. "]" end
    if type(key) == "string" and s_find(key, "^[%a_][%w_]*$") then
        return path == "" and key or path .. "." .. key
    end
    return path .. "[" .. (type(key) == "string" and s_format("%q", key) or tostring(key)) .. "]"
end
local function fail(path, msg) return path == "" and msg or path .. ": " .. msg end
local function got(v)
    if type(v) == "number" and math_type(v) == "float" then return "number (" .. tostring(v) .. ")" end
    if is_error(v) then return "error" end
    return type(v)
end
local function mismatch(t, v, path) return fail(path, "expected " .. describe(t) .. ", got " .. got(v)) end

local PRIM = {number = true, string = true, boolean = true, table = true, thread = true,
              userdata = true, ["function"] = true}
local check

local function run_checks(checks, v, path)
    for i = 1, #checks do
        local c = checks[i]
        local name, arg = c[1], c[2]
        if name == "min" or name == "max" then
            if type(v) == "number" and ((name == "min" and v < arg) or (name == "max" and v > arg)) then
                return fail(path, (name == "min" and "must be >= " or "must be <= ") .. tostring(arg)
                            .. ", got " .. tostring(v))
            end
        elseif name == "min_len" or name == "max_len" then
            if type(v) == "string" or type(v) == "table" then
                local n = #v
                if (name == "min_len" and n < arg) or (name == "max_len" and n > arg) then
                    return fail(path, "length must be " .. (name == "min_len" and ">= " or "<= ")
                                .. tostring(arg) .. ", got " .. tostring(n))
                end
            end
        elseif name == "pattern" then
            if type(v) == "string" and not s_find(v, arg) then
                return fail(path, "does not match pattern " .. s_format("%q", arg))
            end
        end
    end
end

local function check_table(d, v, path, depth)
    local k = d.kind
    if k == "array" then
        local n = #v
        for key in next, v do
            if math_type(key) ~= "integer" or key < 1 or key > n then
                return fail(path, "expected array, got table with key " .. s_format("%q", tostring(key)))
            end
        end
        for i = 1, n do
            local err = check(d.elem, v[i], join(path, i), depth)
            if err then return err end
        end
    elseif k == "map" then
        for key, x in next, v do
            local err = check(d.key, key, join(path, key), depth)
                        or check(d.val, x, join(path, key), depth)
            if err then return err end
        end
    else   -- record
        local fields = d.fields
        for i = 1, #fields do
            local f = fields[i]
            local x = v[f[1]]
            if not (x == nil and f[3]) then
                local err = check(f[2], x, join(path, f[1]), depth)
                if err then return err end
            end
        end
        if d.ikey then
            for key, x in next, v do
                if not d.by_name[key] then
                    local err = check(d.ikey, key, join(path, key), depth)
                                or check(d.ival, x, join(path, key), depth)
                    if err then return err end
                end
            end
        end
    end
end

-- A record member of a tagged union whose literal fields (the tags) all match `v`.
local function tag_matches(t, v)
    local d = resolve(DATA[t])
    if d.kind ~= "record" then return false end
    local tagged = false
    for i = 1, #d.fields do
        local f = d.fields[i]
        local fd = resolve(DATA[f[2]])
        if fd.kind == "literal" then
            if v[f[1]] ~= fd.value then return false end
            tagged = true
        end
    end
    return tagged
end

-- nil when `v` has type `t`, else "path: what is wrong". `label` is the type a
-- mismatch is reported as: the alias name (`expected User`), not its structure.
function check(t, v, path, depth, label)
    depth = depth + 1
    if depth > MAX_DEPTH then return fail(path, "value nested too deeply to check") end
    local d = DATA[t]
    local k = d.kind
    if k == "valid" then
        return check(d.base, v, path, depth, label) or run_checks(d.checks, v, path)
    elseif k == "named" then
        return check(d.base, v, path, depth, label or t)
    elseif k == "ref" then
        resolve(d)
        return check(d.target, v, path, depth, label or t)
    end
    label = label or t
    if k == "any" or k == "unknown" or k == "tuple" or k == "variadic" then return nil end
    if k == "nil" then return v ~= nil and mismatch(label, v, path) or nil end
    if k == "never" then return mismatch(label, v, path) end
    if k == "integer" then   -- math.tointeger would also take the string "3": numbers only
        return (math_type(v) == nil or tointeger(v) == nil) and mismatch(label, v, path) or nil
    end
    if k == "error" then
        return not (is_error(v) or type(v) == "string") and mismatch(label, v, path) or nil
    end
    if k == "literal" then return v ~= d.value and mismatch(label, v, path) or nil end
    if k == "optional" then
        if v == nil then return nil end
        return check(d.inner, v, path, depth)
    end
    if k == "union" then
        local tagged
        for i = 1, #d.members do
            local m = d.members[i]
            local err = check(m, v, path, depth)
            if err == nil then return nil end
            -- A tagged union: the member whose tag matched says more than "expected A | B".
            if tagged == nil and type(v) == "table" and tag_matches(m, v) then tagged = err end
        end
        return tagged or mismatch(label, v, path)
    end
    if k == "intersection" then
        for i = 1, #d.members do
            local err = check(d.members[i], v, path, depth)
            if err then return err end
        end
        return nil
    end
    if k == "array" or k == "map" or k == "record" then
        if type(v) ~= "table" or is_error(v) then return mismatch(label, v, path) end
        return check_table(d, v, path, depth)
    end
    if PRIM[k] and type(v) ~= k then return mismatch(label, v, path) end
    return nil
end

local function validate(t, v)
    local ok, err = pcall(check, t, v, "", 0)
    if not ok then return "invalid type: " .. tostring(err) end
    return err
end

-- The value a cast returns: integer(3.0) is 3, anything else is returned as is.
local function converted(t, v)
    local d = resolve(DATA[t])
    if d.kind == "integer" then return tointeger(v) end
    return v
end

local function cast(t, v, level)
    local err = validate(t, v)
    if err then error(err, level + 1) end
    return converted(t, v)
end

-- Internals for reflect.lua (trusted, loaded right after this file).
return {DATA = DATA, MT = MT, METHODS = METHODS, B = B, P = P, new = new, is_type = is_type,
        data_of = data_of, resolve = resolve, describe = describe, validate = validate,
        cast = cast, converted = converted, make_error = make_error}
