-- Trusted boot code, run once per Lua state (the event loop's inline state and
-- one state per worker thread).
--
-- It captures the dangerous primitives as locals, builds the allowlisted
-- environment handed to every handler call, the error objects, the frozen
-- module tables, and the coroutine driver used by Python (`start`/`step`).
-- Handler code can reach nothing here except through the environment.
local P = ...                       -- Python bridge: token, done, raise, now(), print(), budget_check_cpu
local TOKEN, DONE, RAISE = P.token, P.done, P.raise
local now, py_print, clocks, slice_after = P.now, P.print, P.clocks, P.slice_after
local COUNT = P.hook_count

local debug_sethook = debug.sethook
local co_create, co_resume, co_yield, co_status = coroutine.create, coroutine.resume, coroutine.yield, coroutine.status
local co_running, co_isyieldable, co_close = coroutine.running, coroutine.isyieldable, coroutine.close
local load, pcall, xpcall, error, type, select = load, pcall, xpcall, error, type, select
local setmetatable, getmetatable = setmetatable, getmetatable
local rawset, rawget, rawequal, rawlen, next = rawset, rawget, rawequal, rawlen, next
local tostring, tonumber, ipairs, pairs, assert = tostring, tonumber, ipairs, pairs, assert
local os_clock, os_time, os_date, os_difftime = os.clock, os.time, os.date, os.difftime
local string, table, math, utf8 = string, table, math, utf8
local unpack = table.unpack

-- Call state of the step running now, and its globals (see DISPATCH): set when
-- a step starts (the call's body, or await_result on resume), cleared by finish.
local current = nil
local current_env = nil
local TIMEOUT_MSG = "execution time limit exceeded"
local PREEMPT_MSG = "handler step ran too long on the event loop"

local function trip(st, preempted)
    st.tripped, st.preempted = true, preempted
    error(preempted and PREEMPT_MSG or TIMEOUT_MSG, 0)
end

local function trip_check()
    local st = current
    if st and st.tripped then trip(st, st.preempted) end
end

-- Count hook: stays tripped once the deadline (or, for a step running on the
-- event loop, its slice) passed, so every later hook call, pcall, xpcall and
-- resume re-throws. The wall clock (a Python call) is read at most every
-- 5 ms of CPU time to keep Python out of hot loops. The first check of a step
-- also reads the thread's CPU time; a step past its wall-clock slice asks Python
-- whether it really ran that long itself (CPython's GC, the GIL or the OS may have
-- held it: LuaWorker.slice_after) before it is stopped. The deadline counts all.
local function hook()
    local st = current
    if st == nil then return end
    if st.tripped then trip(st, st.preempted) end
    local c = os_clock()
    local next_check = st.next_check
    if c >= next_check then
        st.next_check = c + 0.005
        local t
        if next_check == 0 then   -- first check of this step
            t, st.cpu0 = clocks()
            st.t0 = t
        else
            t = now()
        end
        if t > st.deadline then trip(st, false) end
        if t > st.slice then
            st.slice = slice_after(st.t0, st.cpu0)
            if t > st.slice then trip(st, true) end
        end
    end
end

local function new_coroutine(f)
    local co = co_create(f)
    debug_sethook(co, hook, "", COUNT)
    return co
end

---------------------------------------------------------------- frozen tables
local FROZEN = setmetatable({}, {__mode = "k"})
local function readonly_error() error("attempt to modify a read-only table", 2) end

local function freeze(t, call)   -- `call`: the proxy is callable (`string(x)` is a cast)
    if type(t) ~= "table" or FROZEN[t] or getmetatable(t) ~= nil then return t end
    local inner = {}
    for k, v in next, t do inner[k] = freeze(v) end
    local proxy = setmetatable({}, {
        __index = inner, __newindex = readonly_error, __metatable = false,
        __pairs = function() return next, inner, nil end,
        __len = function() return #inner end, __call = call,
    })
    FROZEN[proxy] = true
    return proxy
end

---------------------------------------------------------------- text
-- Lua strings are bytes; Python's side of the bridge takes UTF-8 text. Where
-- text that is not valid UTF-8 must still cross (error messages, results, JSON,
-- log lines) each invalid byte becomes U+FFFD, as Go's encoders do.
local utf8_len, getinfo = utf8.len, debug.getinfo
local REPLACEMENT = "\239\191\189"

local function valid_text(s)
    if utf8_len(s) then return s end
    local out, n, i, size = {}, 0, 1, #s
    while i <= size do
        local ok, bad = utf8_len(s, i)
        if ok then
            n = n + 1; out[n] = s:sub(i)
            break
        end
        n = n + 1; out[n] = s:sub(i, bad - 1)
        n = n + 1; out[n] = REPLACEMENT
        i = bad + 1
    end
    return table.concat(out, "", 1, n)
end

---------------------------------------------------------------- error objects
local ERRDATA = setmetatable({}, {__mode = "k"})
local ERR_METHODS = {}
local ERR_MT = {__index = ERR_METHODS, __metatable = false}

-- Stacks: an error made inside a call records the raw traceback of the coroutine
-- that made it (debug.traceback is C, a few µs); frames are parsed from it only when
-- asked for (err:stack(), errors.call_stack). Errors a host function returns are
-- made on the main Lua stack, so `check` records the caller's traceback for them.
local traceback, co_main_running = debug.traceback, coroutine.running
local function record_stack(d, level)
    local co, main = co_main_running()
    local st = current
    if main or st == nil then return end
    d.tb = traceback(nil, level)
    d.thread = rawequal(co, st.main) and "main" or "coroutine"
end

local function make_error(kind, message, retryable, details, origin)
    local e = setmetatable({}, ERR_MT)
    local d = {kind = kind or "Unknown", message = tostring(message or ""),
               retryable = retryable, details = details}
    local od = origin and ERRDATA[origin]
    if od and od.tb then   -- errors.wrap keeps where the error first happened
        d.tb, d.thread = od.tb, od.thread
    else
        record_stack(d, 3)
    end
    ERRDATA[e] = d
    return e
end
local function is_error(v) return ERRDATA[v] ~= nil end
local function data_of(e)
    local d = ERRDATA[e]
    if d == nil then error("bad error object", 3) end
    return d
end

-- Frames of handler and library code only: the runtime's own Lua (boot code,
-- modules, C functions) is not the user's business and stays out.
local s_gmatch, s_match, s_sub, s_find = string.gmatch, string.match, string.sub, string.find
-- Handler and library chunks are named by entry id (namespace:name); the runtime's own
-- chunks (boot code, modules, json_text, patterns, types, ...) and C functions are not.
local function trusted_source(src)
    return s_sub(src, 1, 1) == "[" or s_sub(src, 1, 7) == "module:"
        or not s_find(src, ":", 1, true)
end
local function frames_of(d)
    local frames, n = {}, 0
    if d.tb == nil then return frames end
    for line in s_gmatch(d.tb, "\n\t([^\n]*)") do
        local src, ln, what = s_match(line, "^(.-):(%d+): in (.*)$")
        if src and not trusted_source(src) then
            n = n + 1
            frames[n] = {source = src, line = tonumber(ln),
                         name = s_match(what, "'(.-)'") or what}
        end
    end
    return frames
end
local function stack_text(d)
    local out = {"stack traceback:"}
    for i, f in ipairs(frames_of(d)) do
        out[i + 1] = "\t" .. f.source .. ":" .. f.line .. ": in " .. f.name
    end
    return table.concat(out, "\n")
end
local function call_stack(e)
    local d = ERRDATA[e]
    if d == nil or d.tb == nil then return nil end
    return {thread = d.thread, frames = frames_of(d)}
end

function ERR_METHODS.kind(e) return data_of(e).kind end
function ERR_METHODS.message(e) return data_of(e).message end
function ERR_METHODS.retryable(e) return data_of(e).retryable end
function ERR_METHODS.details(e) return data_of(e).details end
function ERR_METHODS.stack(e) return stack_text(data_of(e)) end
ERR_MT.__tostring = function(e) return data_of(e).message end
ERR_MT.__concat = function(a, b)
    local sa = is_error(a) and data_of(a).message or a
    local sb = is_error(b) and data_of(b).message or b
    return sa .. sb
end
ERR_MT.__eq = function(a, b) return rawequal(a, b) end

local function error_from_plain(info)
    if type(info) ~= "table" then return make_error("Internal", tostring(info)) end
    return make_error(info.kind, info.message, info.retryable, info.details)
end

---------------------------------------------------------------- JSON object marks
local OBJECTS = setmetatable({}, {__mode = "k"})
local function empty_object() local t = {}; OBJECTS[t] = true; return t end
local function mark_object(t) OBJECTS[t] = true; return t end
local function is_object(t) return OBJECTS[t] == true end

-- A copy of a value whose strings (keys too) are valid text (see valid_text).
-- Only used once a conversion has failed, so the common path pays nothing.
local function valid_value(v, depth)
    local t = type(v)
    if t == "string" then return valid_text(v) end
    depth = depth or 0
    if t ~= "table" or depth > 130 or ERRDATA[v] then return v end
    local out = {}
    for k, x in next, v do
        if type(k) == "string" then k = valid_text(k) end
        out[k] = valid_value(x, depth + 1)
    end
    if OBJECTS[v] then OBJECTS[out] = true end
    return out
end

---------------------------------------------------------------- host calls
-- A module's host function is called through `check`, which turns the
-- (RAISE, message) pair a Python host function returns into a Lua error.
local function check(first, ...)
    if first == nil then   -- (nil, err): give a host-made error the caller's stack
        local d = ERRDATA[(...)]
        if d and d.tb == nil then record_stack(d, 3) end
    elseif rawequal(first, RAISE) then
        error((...), 3)
    end
    return first, ...
end
local function wrap_host(f)
    return function(...) return check(f(...)) end
end

-- Python resumes with (slice, ok, value): the step's slice (see enter_step),
-- then the host op's outcome. Re-entering here, where the request was made,
-- spares Python a separate enter() call per step.
local function await_result(st, slice, ok, value)
    st.slice = slice or math.huge
    st.next_check = 0
    current, current_env = st, st.env
    if ok then return value, nil end
    return nil, error_from_plain(value)
end
local INVALID_TEXT = "text is not valid UTF-8 (binary data must be encoded first, e.g. as hex)"
local function await(op, ...)
    for i = 1, select("#", ...) do   -- op arguments cross as text: check, do not fail there
        local v = select(i, ...)
        if type(v) == "string" and not utf8_len(v) then
            return nil, make_error("Invalid", INVALID_TEXT, false)
        end
    end
    return await_result(current, co_yield(TOKEN, op, ...))
end

-- JSON text of common plain values without Python (json_text.lua); nil = ask Python.
local json_text = assert(load(P.json_text, "=json_text", "t", _ENV))()(is_object, is_error)

local lib = {
    await = await, error = make_error, is_error = is_error, call_stack = call_stack, freeze = freeze, json_text = json_text,
    empty_object = empty_object, is_object = is_object, mark_object = mark_object,
    protect = function(mt) mt.__metatable = false; return mt end,
    valid_text = valid_text, valid_value = valid_value,
    -- The lowest level the call's entry logger emits (Python's logging), set per call.
    log_level = function() local st = current; return st and st.log_level or 0 end,
    -- The call's HTTP request token and queue delivery (token, message id), handed
    -- over at prepare so `http.request()` and `queue.message()` need not ask Python.
    http_token = function() local st = current; return st and st.http end,
    -- The running call's own globals table (the test module's mocks shadow a
    -- frozen module there, for this call only).
    call_env = function() return current_env end,
    delivery = function()
        local st = current
        if st then return st.delivery, st.message_id end
    end,
    -- The running call's state when `co` is the call's own coroutine, else nil: the
    -- channel module keeps the call's scheduler there (`sched`), so it goes with the call.
    call_state = function(co)
        local st = current
        if st and rawequal(st.main, co) then return st end
    end,
}

---------------------------------------------------------------- sandbox globals
-- resume/wrap pass host requests from user coroutines up to the driver
-- (OpenResty style) and re-throw once the call's deadline has tripped.
local function forward(co, ok, ...)
    if ok and rawequal((...), TOKEN) and co_status(co) == "suspended" then
        return forward(co, co_resume(co, co_yield(...)))
    end
    trip_check()
    return ok, ...
end
local function safe_resume(co, ...) return forward(co, co_resume(co, ...)) end
-- For the channel scheduler (lua/modules/channel): it resumes spawned coroutines
-- with the forwarding resume, under the hook, on the same clock as deadlines.
lib.resume, lib.new_coroutine, lib.now = safe_resume, new_coroutine, now

local function wrap_result(ok, ...)
    if not ok then error((...), 0) end
    return ...
end

local safe_coroutine = {
    create = new_coroutine,
    resume = safe_resume,
    wrap = function(f)
        local co = new_coroutine(f)
        return function(...) return wrap_result(safe_resume(co, ...)) end
    end,
    yield = co_yield, status = co_status, running = co_running,
    isyieldable = co_isyieldable, close = co_close,
}

local function after_pcall(ok, ...) trip_check(); return ok, ... end

local function copy(t, drop)
    local out = {}
    for k, v in next, t do if not (drop and drop[k]) then out[k] = v end end
    return out
end

local SAFE = {
    assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs,
    select = select, tonumber = tonumber, tostring = tostring, type = type,
    rawequal = rawequal, rawget = rawget, rawlen = rawlen,
    rawset = function(t, k, v)
        if FROZEN[t] then error("attempt to modify a read-only table", 2) end
        return rawset(t, k, v)
    end,
    unpack = unpack,
    pcall = function(f, ...) return after_pcall(pcall(f, ...)) end,
    -- A tripped deadline must not re-enter a looping message handler: Lua
    -- calls the handler again for the hook's own error, forever (measured).
    xpcall = function(f, h, ...)
        return after_pcall(xpcall(f, function(e)
            if current and current.tripped then return e end
            return h(e)
        end, ...))
    end,
    getmetatable = function(v)
        if type(v) == "string" then return nil end
        return getmetatable(v)
    end,
    setmetatable = function(t, mt)
        if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
            error("__gc metamethods are not allowed in handlers", 2)
        end
        return setmetatable(t, mt)
    end,
    print = function(...)
        local n, parts = select("#", ...), {}
        for i = 1, n do parts[i] = tostring((select(i, ...))) end
        py_print(table.concat(parts, "\t"))
    end,
}
local STRING = copy(string, {dump = true})
-- Pattern guards (patterns.lua): Lua's matcher is C code the count hook never reaches.
for fname, f in next, assert(load(P.patterns, "=patterns", "t", _ENV))(string) do STRING[fname] = f end

-- Big C calls never start on the event loop: the hook cannot stop C code, so a
-- step on the loop (it has a slice) that is about to sort, join, repeat or
-- scan something large is preempted first and re-run on a worker thread.
local BIG = 100000   -- elements or bytes
local function heavy(n)
    local st = current
    if st and st.slice ~= math.huge and n > BIG then trip(st, true) end
end
local TABLE = copy(table)
local t_sort, t_concat, s_rep = table.sort, table.concat, string.rep
TABLE.sort = function(t, ...) heavy(rawlen(t)); return t_sort(t, ...) end
TABLE.concat = function(t, ...) heavy(rawlen(t)); return t_concat(t, ...) end
STRING.rep = function(s, n, sep)
    if type(n) == "number" then heavy(#tostring(s) * n) end
    return s_rep(s, n, sep)
end
for _, fname in ipairs({"find", "match", "gmatch", "gsub"}) do
    local f = STRING[fname]
    STRING[fname] = function(s, ...)
        if type(s) == "string" then heavy(#s) end
        return f(s, ...)
    end
end
getmetatable("").__index = STRING   -- `s:find(p)` goes through the guards too
assert(load(P.lua53, "=lua53", "t", _ENV))(getmetatable(""))   -- Lua 5.3 string coercions

-- Runtime type values of typed Lua (wippy/lua/typed, docs/lua-types.md): trusted
-- code on the guarded string.find; handlers get the globals and the builder that
-- compiled `type` declarations call, never the tables behind the type values.
local TYPES = assert(load(P.reflect, "=types", "t", _ENV))(assert(load(P.types, "=types", "t", _ENV))(
    {make_error = make_error, is_error = is_error, find = STRING.find}))
for k, v in next, TYPES.globals do SAFE[k] = v end
SAFE.__wippy_types = freeze(TYPES.builder)
-- Type values are shared by every call in this state: rawset must not change them.
local rawset_unless_frozen = SAFE.rawset
SAFE.rawset = function(t, k, v)
    if TYPES.is_type(t) then error("attempt to modify a read-only table", 2) end
    return rawset_unless_frozen(t, k, v)
end

local OS = {time = os_time, date = os_date, clock = os_clock, difftime = os_difftime, platform = "wippy"}

-- Modules, frozen once per state: name -> table.
local MODULES = {}
local GLOBAL_MODULES = {}   -- injected into every env (e.g. errors)

-- Libraries are shared by every call, frozen: `string.upper = nil` is an error,
-- never a change another call would see. Built lazily (modules install first).
local LIBS = nil
local function libs()
    if LIBS == nil then
        safe_coroutine.spawn = lib.spawn   -- coroutine.spawn, set by the channel module
        LIBS = {string = freeze(STRING, TYPES.string_cast), table = freeze(TABLE), math = freeze(copy(math)),
                utf8 = freeze(copy(utf8)), coroutine = freeze(safe_coroutine), os = freeze(OS)}
    end
    return LIBS
end

---------------------------------------------------------------- libraries
-- library.lua entries: compiled once per state (define_library), instantiated once
-- per call that uses them: the library's top level runs in that call, with globals
-- of its own, so nothing a call does to a library outlives the call. `require(alias)`
-- hands out one stable proxy per library that reaches the running call's instance,
-- so a handler may keep it in a module-level local (whose top level ran once).
local LIBRARIES = {}   -- id -> {source, fn, env_mt}
local PROXIES = {}     -- id -> proxy

local function lib_instance(st, id)
    local libs = st.libs
    if libs == nil then libs = {}; st.libs = libs end
    local inst = libs[id]
    if inst == nil then
        local env = setmetatable({}, LIBRARIES[id].env_mt)
        rawset(env, "_G", env)
        inst = {env = env}
        libs[id] = inst
    end
    return inst
end

local function lib_exports(id)
    local st = current
    if st == nil then error("library " .. id .. " used outside a call", 3) end
    local inst = lib_instance(st, id)
    if inst.loaded then return inst.exports end
    if inst.loading then error("library " .. id .. " was required while it loads", 3) end
    inst.loading = true
    local ok, exports = pcall(LIBRARIES[id].fn)
    inst.loading = false
    if not ok then error(exports, 0) end
    if exports == nil then exports = true end   -- as Lua's require does
    inst.exports, inst.loaded = exports, true
    return exports
end

local function lib_proxy(id)
    local p = PROXIES[id]
    if p then return p end
    local function exports()
        local ex = lib_exports(id)
        if type(ex) ~= "table" then
            error("library " .. id .. " returned a " .. type(ex) .. ", not a table", 3)
        end
        return ex
    end
    p = setmetatable({}, {
        __index = function(_, k) return exports()[k] end,
        __newindex = function(_, k, v) exports()[k] = v end,
        __pairs = function() return next, exports(), nil end,
        __len = function() return #exports() end,
        __call = function(_, ...) return lib_exports(id)(...) end,
        __tostring = function() return "library " .. id end,
        __metatable = false,
    })
    FROZEN[p] = true   -- shared by every call: rawset must not store into it
    PROXIES[id] = p
    return p
end

-- The read-only base of an entry's (or a library's) environments: allowlisted
-- globals, libraries, the `errors` global, its declared modules and imported
-- libraries (`imports`: alias -> library id), and a `require` that finds only them.
local function entry_base(declared, imports)
    local base = copy(SAFE)
    for k, v in next, libs() do base[k] = v end
    base._VERSION = _VERSION
    for name, m in next, GLOBAL_MODULES do base[name] = m end
    local allowed, imported = {}, {}
    for i = 1, #declared do
        local name = declared[i]
        allowed[name] = MODULES[name]
        base[name] = MODULES[name]
    end
    if imports ~= nil then
        for alias, id in next, imports do
            imported[alias] = id
            base[alias] = lib_proxy(id)
        end
    end
    base.require = function(name)
        local m = allowed[name] or GLOBAL_MODULES[name]   -- always-available globals too
        if m ~= nil then return m end
        local id = imported[name]
        if id == nil then error("module '" .. tostring(name) .. "' not found", 2) end
        local ex = lib_exports(id)
        if type(ex) == "table" then return PROXIES[id] end
        return ex
    end
    return base
end

-- A library's code reads and writes globals of the running call's instance.
local function library_dispatch(id)
    return setmetatable({}, {
        __index = function(_, k) return lib_instance(current, id).env[k] end,
        __newindex = function(_, k, v) lib_instance(current, id).env[k] = v end,
        __metatable = false,
    })
end

-- define_library(id, source, declared_modules, imports) -> nil | syntax error.
-- Libraries are defined before anything that imports them (Python orders them).
local function define_library(id, source, declared, imports)
    local L = LIBRARIES[id]
    if L ~= nil and L.source == source then return nil end
    local fn, err = load(source, "=" .. id, "t", library_dispatch(id))
    if not fn then return err end
    LIBRARIES[id] = {source = source, fn = fn,
                     env_mt = {__index = entry_base(declared, imports), __metatable = false}}
    return nil
end

-- Every chunk is compiled once per state with this dispatching _ENV: global
-- reads and writes go to the environment of the call that is running now, so
-- each call has its own globals while the compiled code is shared.
local DISPATCH = setmetatable({}, {
    __index = function(_, k) return current_env[k] end,
    __newindex = function(_, k, v) current_env[k] = v end,
    __metatable = false,
})

---------------------------------------------------------------- driver
-- Call states by integer handle. Python resumes the coroutine itself (lupa's
-- coroutine API), so the main Lua stack is idle whenever host code runs
-- (host code may then read Lua tables through lupa safely).
local CALLS, next_handle = {}, 0

-- Results leave Lua as plain values; error objects become plain tables.
local function plain_error(e)
    if is_error(e) then
        local d = ERRDATA[e]
        return {kind = d.kind, message = valid_text(tostring(d.message)), retryable = d.retryable}
    end
    if type(e) == "string" then return valid_text(e) end
    if type(e) == "table" then
        local ok, s = pcall(tostring, e)   -- __tostring runs under the hook
        return ok and s or "(error object is a table value)"
    end
    return "(error object is a " .. type(e) .. " value)"
end

-- The call is over: Lua forgets it (Python need not release it). `current`
-- is cleared only after plain_error, whose __tostring runs under the hook.
local function finish(st, ok, ...)
    CALLS[st.handle] = nil
    if st.tripped then
        current, current_env = nil, nil
        if st.preempted then
            return DONE, false, {kind = "Unavailable", message = PREEMPT_MSG, retryable = true, preempted = true}
        end
        return DONE, false, {kind = "Timeout", message = TIMEOUT_MSG, retryable = true}
    end
    if not ok then
        local e = plain_error((...))
        current, current_env = nil, nil
        return DONE, false, e
    end
    current, current_env = nil, nil
    local n = select("#", ...)
    for i = 1, n do   -- results cross as text: U+FFFD for invalid bytes, not a failure
        local v = select(i, ...)
        if type(v) == "string" and not utf8_len(v) then
            local values = {...}
            for j = i, n do
                if type(values[j]) == "string" then values[j] = valid_text(values[j]) end
            end
            return DONE, true, n, unpack(values, 1, n)
        end
    end
    return DONE, true, n, ...   -- values unpacked: no table per call
end

-- Entries compiled in this state: chunkname -> {source, fn, layer, env_mt, exports}.
-- Call envs read through `layer` (module-level globals) to the frozen base.
-- Like Wippy's pooled VMs, a chunk's top level runs once per state; its
-- module-level locals live on, while globals stay per call.
local ENTRIES = {}

local function init_entry(e, st)
    current_env = e.layer          -- module-level globals land in the entry's layer
    local mod = e.fn()
    current_env = st.env
    e.exports = mod
    return mod
end

local function body(e, st, method, ...)
    if method == nil or method == "" then return e.fn(...) end
    local mod = e.exports or init_entry(e, st)
    if type(mod) == "function" then return mod(...) end
    local f = type(mod) == "table" and rawget(mod, method) or nil
    if type(f) ~= "function" then
        error('method "' .. tostring(method) .. '" not found in module', 0)
    end
    return f(...)
end

-- A userdata error is a Python exception raised while lupa converted a host
-- call's arguments: in practice a string that is not valid UTF-8. Say so, with
-- the handler's line, instead of "(error object is a userdata value)".
local function traceback_handler(e)
    if type(e) ~= "userdata" then return e end
    local st = current
    local chunk = st and st.chunk
    local where, module = chunk or "lua", nil
    for level = 2, 60 do
        local info = getinfo(level, "Sl")
        if info == nil then break end
        local src = info.source
        if module == nil and src:sub(1, 8) == "=module:" then module = src:sub(9) end
        if chunk and src == "=" .. chunk then
            where = chunk .. ":" .. info.currentline
            break
        end
    end
    local ok, detail = pcall(tostring, e)
    detail = ok and valid_text(detail) or "conversion failed"
    return make_error("Invalid", where .. ": invalid argument"
        .. (module and (" to the " .. module .. " module") or "") .. ": " .. detail
        .. "; strings passed to modules must be valid UTF-8 text", false)
end


-- prepare(source, chunkname, method, declared_modules, deadline, log_level,
--         http_token, delivery_token, message_id, imports) -> body, handle | nil, err
-- `imports` (alias -> library id, or nil) is used only when the chunk is compiled.
-- `deadline` is the call's, on the monotonic clock `now()` reads (Python's loop clock).
-- `log_level` is the lowest level the entry's logger emits now (see lib.log_level).
-- `source` is nil when this state already compiled the chunk (Python keeps
-- track), so a handler's source is not copied into Lua on every call.
-- body(slice, ...) runs the call; its first step starts inside, with `slice`.
local function prepare(source, chunkname, method, declared, deadline, log_level,
                       http_token, delivery_token, message_id, imports)
    local e = ENTRIES[chunkname]
    if source == nil then
        if e == nil then return nil, "internal error: " .. chunkname .. " was never compiled" end
    elseif e == nil or e.source ~= source then
        local fn, err = load(source, "=" .. chunkname, "t", DISPATCH)
        if not fn then return nil, err end
        local layer = setmetatable({}, {__index = entry_base(declared, imports), __metatable = false})
        e = {source = source, fn = fn, layer = layer, env_mt = {__index = layer, __metatable = false}}
        ENTRIES[chunkname] = e
    end
    local env = setmetatable({}, e.env_mt)
    rawset(env, "_G", env)
    next_handle = next_handle + 1
    local st = {deadline = deadline, slice = math.huge, next_check = 0, tripped = false,
                env = env, handle = next_handle, log_level = log_level or 0, chunk = chunkname,
                http = http_token, delivery = delivery_token, message_id = message_id}
    CALLS[next_handle] = st
    return function(slice, ...)
        st.slice = slice or math.huge
        st.main = co_running()           -- error stacks tell the call's own coroutine apart
        current, current_env = st, env
        debug_sethook(hook, "", COUNT)   -- on this (the call's own) coroutine
        return finish(st, xpcall(body, traceback_handler, e, st, method, ...))
    end, next_handle
end

-- enter(handle, slice?): `slice` is a monotonic deadline for this one step
-- (steps run on the event loop get one); nil means none.
local function enter(handle, slice)
    local st = CALLS[handle]
    st.slice = slice or math.huge
    st.next_check = 0
    current, current_env = st, st.env
end
local function leave() current, current_env = nil, nil end
local function release(handle) CALLS[handle] = nil end

local function compile_check(source, chunkname)
    if type(source) ~= "string" then return "source must be a string" end
    if source:sub(1, 4) == "\27Lua" then return "attempt to load a binary chunk (only Lua source is allowed)" end
    local fn, err = load(source, "=" .. chunkname, "t", {})
    if not fn then return err end
    return nil
end

local function install_module(name, source, host, global)
    local factory = assert(load(source, "=module:" .. name, "t", _ENV))()
    local hosted = {}
    for k, f in next, host do hosted[k] = wrap_host(f) end
    local m = freeze(factory(hosted, lib))
    MODULES[name] = m
    if global then GLOBAL_MODULES[name] = m end
end

-- Trusted-code helpers the Python side needs.
return {
    prepare = prepare, enter = enter, leave = leave, compile_check = compile_check,
    install_module = install_module, release = release, define_library = define_library,
    objects = OBJECTS, errdata = ERRDATA, mark_object = mark_object,
    -- A channel is an empty table to Python: asked for every empty table crossing out.
    is_channel = function(t) local c = lib.channels; return c ~= nil and c.is_channel(t) end,
    make_error = make_error, error_from_plain = error_from_plain, json_text = json_text,
    valid_value = valid_value,
}
