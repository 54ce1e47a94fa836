-- The `test` module (docs/modules/test.md): BDD suites, assertions, hooks and mocks
-- for `meta.type: test` entries, run by `wippy test`.
--
-- State lives per run, keyed by the call's globals table (lib.call_env()), so calls
-- interleaving on one Lua state never see each other's suites or mocks. Each case is
-- reported to the runner as it ends (host.report), as Wippy's runner receives case
-- events; run_cases(...)(options) also returns the totals.
return function(host, lib)
    local type, error, tostring, pcall, select, next = type, error, tostring, pcall, select, next
    local setmetatable, rawget, rawset, pairs, ipairs = setmetatable, rawget, rawset, pairs, ipairs
    local fmt, sfind, smatch, concat, floor = string.format, string.find, string.match, table.concat, math.floor
    local now, call_env, is_error = lib.now, lib.call_env, lib.is_error

    local RUNS = setmetatable({}, {__mode = "k"})   -- call env -> run state

    local function run_state()
        local env = call_env()
        return env and RUNS[env]
    end

    ------------------------------------------------------------ value text
    local function show(v, depth)
        local t = type(v)
        if t == "string" then return fmt("%q", v) end
        if t ~= "table" or is_error(v) then return tostring(v) end
        depth = depth or 0
        if depth > 2 then return "{...}" end
        local parts, n = {}, 0
        local count = 0
        for _ in pairs(v) do count = count + 1 end
        if count > 0 and count == #v then   -- a list: values only
            for i = 1, count do
                if i > 8 then parts[i] = "..."; break end
                parts[i] = show(v[i], depth + 1)
            end
            return "{" .. concat(parts, ", ") .. "}"
        end
        for k, x in pairs(v) do
            n = n + 1
            if n > 8 then parts[n] = "..."; break end
            local key = type(k) == "string" and smatch(k, "^[%a_][%w_]*$") and k or "[" .. show(k, depth + 1) .. "]"
            parts[n] = key .. " = " .. show(x, depth + 1)
        end
        return "{" .. concat(parts, ", ") .. "}"
    end

    local function text_of(v)   -- strings and error objects as text (test.contains(err, ...))
        if type(v) == "string" then return v end
        if is_error(v) then return tostring(v) end
        return nil
    end

    -- Tables compare by content (keys and values, recursively); everything else with ==.
    local function same(a, b, depth)
        if a == b then return true end
        if type(a) ~= "table" or type(b) ~= "table" or is_error(a) or is_error(b) then return false end
        if depth > 20 then return false end
        for k, v in pairs(a) do
            if not same(v, b[k], depth + 1) then return false end
        end
        for k in pairs(b) do
            if a[k] == nil then return false end
        end
        return true
    end

    -- Raise at the test's line (level 3: the caller of the assertion).
    local function failed(text, msg)
        if msg ~= nil then text = tostring(msg) .. ": " .. text end
        error(text, 3)
    end

    local M = {}

    ------------------------------------------------------------ assertions
    function M.eq(a, b, msg)
        if not same(a, b, 0) then failed("expected " .. show(b) .. ", got " .. show(a), msg) end
    end
    function M.neq(a, b, msg)
        if same(a, b, 0) then failed("expected a value other than " .. show(b), msg) end
    end
    function M.ok(v, msg)
        if not v then failed("expected a truthy value, got " .. show(v), msg) end
    end
    function M.fail(msg)
        error(msg ~= nil and tostring(msg) or "test failed", 2)
    end
    function M.is_nil(v, msg)
        if v ~= nil then failed("expected nil, got " .. show(v), msg) end
    end
    function M.not_nil(v, msg)
        if v == nil then failed("expected a value, got nil", msg) end
    end
    function M.is_true(v, msg)
        if v ~= true then failed("expected true, got " .. show(v), msg) end
    end
    function M.is_false(v, msg)
        if v ~= false then failed("expected false, got " .. show(v), msg) end
    end
    for _, t in ipairs({"string", "number", "table", "function", "boolean"}) do
        M["is_" .. t] = function(v, msg)
            if type(v) ~= t then failed("expected a " .. t .. ", got " .. type(v) .. " " .. show(v), msg) end
            return v
        end
    end
    function M.contains(s, sub, msg)
        local text = text_of(s)
        if text == nil then failed("expected a string, got " .. type(s) .. " " .. show(s), msg) end
        if not sfind(text, tostring(sub), 1, true) then
            failed("expected " .. show(text) .. " to contain " .. show(sub), msg)
        end
    end
    function M.matches(s, pattern, msg)
        local text = text_of(s)
        if text == nil then failed("expected a string, got " .. type(s) .. " " .. show(s), msg) end
        if not sfind(text, pattern) then
            failed("expected " .. show(text) .. " to match pattern " .. show(pattern), msg)
        end
    end
    function M.has_key(t, key, msg)
        if type(t) ~= "table" then failed("expected a table, got " .. type(t), msg) end
        if t[key] == nil then failed("expected key " .. show(key) .. " in " .. show(t), msg) end
    end
    function M.len(v, n, msg)
        local t = type(v)
        if t ~= "table" and t ~= "string" then failed("expected a table or string, got " .. t, msg) end
        if #v ~= n then failed("expected length " .. tostring(n) .. ", got " .. tostring(#v), msg) end
    end
    local function compare(name, op, test)
        M[name] = function(a, b, msg)
            if type(a) ~= "number" or type(b) ~= "number" then
                failed("expected two numbers, got " .. type(a) .. " and " .. type(b), msg)
            end
            if not test(a, b) then failed("expected " .. show(a) .. " " .. op .. " " .. show(b), msg) end
        end
    end
    compare("gt", ">", function(a, b) return a > b end)
    compare("gte", ">=", function(a, b) return a >= b end)
    compare("lt", "<", function(a, b) return a < b end)
    compare("lte", "<=", function(a, b) return a <= b end)
    function M.throws(fn, msg)
        if type(fn) ~= "function" then failed("expected a function, got " .. type(fn), msg) end
        local ok, err = pcall(fn)
        if ok then failed("expected an error, none was raised", msg) end
        return err
    end
    function M.has_error(val, err, msg)
        if val ~= nil then failed("expected nil result, got " .. show(val), msg) end
        if err == nil then failed("expected an error, got nil", msg) end
    end
    function M.no_error(val, err, msg)
        if err ~= nil then failed("unexpected error: " .. tostring(err), msg) end
    end

    ------------------------------------------------------------ mocks
    local function assign(t, k, v) t[k] = v end

    -- A table standing for `container` with keys[i..] leading to `value`: the same
    -- table changed in place when it accepts writes; a shadow reading through to it
    -- when it is frozen (a module). `undo` collects how to put back in-place writes.
    local function place(container, keys, i, value, undo, path)
        local k = keys[i]
        local newv = value
        if i < #keys then
            local child = container[k]
            if type(child) ~= "table" then
                error("test.mock: " .. path .. ": " .. concat(keys, ".", 1, i) .. " is not a table", 4)
            end
            newv = place(child, keys, i + 1, value, undo, path)
            if newv == child then return container end
        end
        local old = container[k]
        if pcall(assign, container, k, newv) then
            undo[#undo + 1] = function() container[k] = old end
            return container
        end
        return setmetatable({[k] = newv}, {__index = container, __pairs = function()
            local merged = {}
            for key, v in pairs(container) do merged[key] = v end
            merged[k] = newv
            return next, merged, nil
        end})
    end

    local function restore(run, path)
        local undo = run.mocks[path]
        if undo == nil then return end
        run.mocks[path] = nil
        for i = #undo, 1, -1 do undo[i]() end
    end

    function M.mock(path, replacement)
        if type(path) ~= "string" or path == "" then error("test.mock: path must be a string like \"process.send\"", 2) end
        local run = run_state()
        if run == nil then error("test.mock: call it inside a test case (test.it)", 2) end
        restore(run, path)
        local keys = {}
        for part in path:gmatch("[^%.]+") do keys[#keys + 1] = part end
        local env = call_env()
        local undo = {}
        local name = keys[1]
        local had, previous = rawget(env, name) ~= nil, rawget(env, name)
        if #keys == 1 then
            rawset(env, name, replacement)
        else
            local root = env[name]
            if type(root) ~= "table" then error("test.mock: " .. path .. ": global " .. name .. " is not a table", 2) end
            local newroot = place(root, keys, 2, replacement, undo, path)
            if newroot ~= root then rawset(env, name, newroot) end
        end
        undo[#undo + 1] = function() rawset(env, name, had and previous or nil) end
        -- Put the global back last (undo runs in reverse).
        table.insert(undo, 1, table.remove(undo))
        run.mocks[path] = undo
    end
    function M.mock_process(field, replacement)
        return M.mock("process." .. tostring(field), replacement)
    end
    function M.restore_mock(path)
        local run = run_state()
        if run ~= nil then restore(run, path) end
    end
    function M.restore_all_mocks()
        local run = run_state()
        if run == nil then return end
        for path in pairs(run.mocks) do restore(run, path) end
    end

    ------------------------------------------------------------ definition
    local function new_suite(name, parent)
        return {name = name, parent = parent, items = {}, before_all = {}, after_all = {},
                before_each = {}, after_each = {}}
    end
    local function defining(fname)
        local run = run_state()
        if run == nil or run.suite == nil then
            error("test." .. fname .. ": call it inside the function given to test.run_cases", 3)
        end
        return run
    end
    local function check_fn(fname, name, fn)
        if type(name) ~= "string" then error("test." .. fname .. ": name must be a string", 3) end
        if type(fn) ~= "function" then error("test." .. fname .. ": " .. name .. ": function expected", 3) end
    end

    function M.describe(name, fn)
        check_fn("describe", name, fn)
        local run = defining("describe")
        local parent = run.suite
        local suite = new_suite(name, parent)
        parent.items[#parent.items + 1] = {suite = suite}
        run.suite = suite
        local ok, err = pcall(fn)
        run.suite = parent
        if not ok then error(err, 0) end
    end
    M.spec, M.context = M.describe, M.describe

    function M.it(name, fn)
        check_fn("it", name, fn)
        local items = defining("it").suite.items
        items[#items + 1] = {name = name, fn = fn}
    end
    function M.it_skip(name, fn)
        if type(name) ~= "string" then error("test.it_skip: name must be a string", 2) end
        local items = defining("it_skip").suite.items
        items[#items + 1] = {name = name, fn = fn, skip = true}
    end
    for _, hook in ipairs({"before_all", "after_all", "before_each", "after_each"}) do
        M[hook] = function(fn)
            if type(fn) ~= "function" then error("test." .. hook .. ": function expected", 2) end
            local list = defining(hook).suite[hook]
            list[#list + 1] = fn
        end
    end

    ------------------------------------------------------------ running
    local function ms(seconds) return floor(seconds * 1000 + 0.5) end

    local function message(err)
        if type(err) == "string" then return err end
        return tostring(err)
    end

    local function path_of(suite)
        local names = {}
        while suite ~= nil do
            if suite.name ~= nil then table.insert(names, 1, suite.name) end
            suite = suite.parent
        end
        return names
    end

    local function record(run, suite, name, status, err, seconds)
        local event = {type = "case", suite = concat(path_of(suite), " > "), name = name,
                       status = status, error = err, duration_ms = ms(seconds or 0)}
        local r = run.result
        r.total_tests = r.total_tests + 1
        local key = status .. "_tests"
        r[key] = r[key] + 1
        r.tests[#r.tests + 1] = event
        host.report(event)
    end

    -- Hooks of `suite` and its ancestors: before_each outermost first, after_each innermost first.
    local function each_hooks(suite, kind)
        local chain = {}
        while suite ~= nil do table.insert(chain, 1, suite); suite = suite.parent end
        local out = {}
        if kind == "before_each" then
            for _, s in ipairs(chain) do for _, f in ipairs(s.before_each) do out[#out + 1] = f end end
        else
            for i = #chain, 1, -1 do for _, f in ipairs(chain[i].after_each) do out[#out + 1] = f end end
        end
        return out
    end

    local function run_case(run, suite, item)
        if item.skip then return record(run, suite, item.name, "skipped") end
        local started = now()
        local err
        for _, f in ipairs(each_hooks(suite, "before_each")) do
            local ok, e = pcall(f)
            if not ok then err = "before_each: " .. message(e); break end
        end
        if err == nil then
            local ok, e = pcall(item.fn)
            if not ok then err = message(e) end
        end
        for _, f in ipairs(each_hooks(suite, "after_each")) do
            local ok, e = pcall(f)
            if not ok and err == nil then err = "after_each: " .. message(e) end
        end
        M.restore_all_mocks()
        record(run, suite, item.name, err and "failed" or "passed", err, now() - started)
    end

    local function cases_in(suite, out)
        for _, item in ipairs(suite.items) do
            if item.suite then cases_in(item.suite, out) else out[#out + 1] = {suite, item} end
        end
        return out
    end

    local function run_suite(run, suite)
        for _, f in ipairs(suite.before_all) do
            local ok, e = pcall(f)
            if not ok then
                -- Every case below fails with the hook's error; after_all hooks do not run.
                for _, c in ipairs(cases_in(suite, {})) do
                    record(run, c[1], c[2].name, c[2].skip and "skipped" or "failed",
                           not c[2].skip and ("before_all: " .. message(e)) or nil)
                end
                return
            end
        end
        for _, item in ipairs(suite.items) do
            if item.suite then run_suite(run, item.suite) else run_case(run, suite, item) end
        end
        for _, f in ipairs(suite.after_all) do
            local ok, e = pcall(f)
            if not ok then record(run, suite, "after_all", "failed", "after_all: " .. message(e)) end
        end
    end

    function M.run_cases(define)
        if type(define) ~= "function" then error("test.run_cases: function expected", 2) end
        return function(options)
            local env = call_env()
            if RUNS[env] ~= nil then error("test.run_cases: a run is already going on in this call", 2) end
            local run = {suite = new_suite(nil, nil), mocks = {},
                         result = {total_tests = 0, passed_tests = 0, failed_tests = 0,
                                   skipped_tests = 0, duration_ms = 0, tests = {}}}
            RUNS[env] = run
            host.report({type = "begin"})
            local started = now()
            local ok, err = pcall(define)
            local root = run.suite
            run.suite = nil   -- describe/it after definition are mistakes
            if ok then
                ok, err = pcall(run_suite, run, root)
            end
            M.restore_all_mocks()
            RUNS[env] = nil
            if not ok then error(err, 0) end
            run.result.duration_ms = ms(now() - started)
            return run.result
        end
    end

    return M
end
