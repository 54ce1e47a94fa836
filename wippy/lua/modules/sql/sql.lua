-- The `sql` module (docs/modules/sql.md). Trusted code.
--
-- DB, transaction, statement and executor objects are empty tables whose
-- handle lives in a private weak table; the Python side (sql.py) maps the
-- handle to the real object for this call only. Query builders are
-- immutable (sql_builder.lua, loaded in front of this chunk as BUILDER).
--
-- Values stored in builders go through `val`: scalars stay, sql.NULL and
-- nil become the NULL marker, `sql.as.binary` values and sub-expressions
-- built by this module stay, and every other table becomes NULL, so data
-- (e.g. a decoded request body) can never turn into SQL.
return function(host, lib)
    local type, tostring, error, setmetatable, select, pairs, next =
        type, tostring, error, setmetatable, select, pairs, next
    local math_type, floor, ceil, tointeger, huge = math.type, math.floor, math.ceil,
        math.tointeger, math.huge
    local fmt = string.format
    local await, lib_error, protect = lib.await, lib.error, lib.protect

    local M = {}

    local function bad_arg(n, fname, expected, got)
        error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected ..
              " expected, got " .. type(got) .. ")", 3)
    end

    ------------------------------------------------------------ values
    local NULL = setmetatable({}, protect({
        __tostring = function() return "sql.NULL" end,
        __newindex = function() error("sql.NULL is read-only", 2) end,
    }))
    M.NULL = NULL

    local TYPED = setmetatable({}, {__mode = "k"})      -- sql.as.binary values
    local SQLIZERS = setmetatable({}, {__mode = "k"})   -- expr/eq/.../and_/or_
    local BUILDERS = setmetatable({}, {__mode = "k"})   -- builder -> "select" | ...
    local BIN_MT = protect({__tostring = function() return "sql.binary" end})

    local function hex(s)
        return (s:gsub(".", function(c) return fmt("%02x", c:byte()) end))
    end

    M.as = {
        int = function(v)
            if type(v) ~= "number" then return 0 end
            if math_type(v) == "integer" then return v end
            if v ~= v or v == huge or v == -huge then return 0 end
            return tointeger(v >= 0 and floor(v) or ceil(v)) or 0
        end,
        float = function(v)
            if type(v) ~= "number" then return 0.0 end
            return v + 0.0
        end,
        text = function(v)
            local t = type(v)
            if t == "string" then return v end
            if t == "number" then return tostring(v) end
            return ""
        end,
        binary = function(v)
            local b = setmetatable({["$sql"] = "binary", hex = hex(type(v) == "string" and v or "")},
                                   BIN_MT)
            TYPED[b] = true
            return b
        end,
        null = function() return NULL end,
    }

    local function val(v)
        local t = type(v)
        if t == "string" or t == "number" or t == "boolean" then return v end
        if t == "table" then
            if TYPED[v] then return v end
            if SQLIZERS[v] or BUILDERS[v] == "select" then return v._s end
        end
        return NULL
    end

    -- Varargs as a dense array (nil -> NULL), so holes survive the bridge.
    local function args(...)
        local n, out = select("#", ...), {...}
        for i = 1, n do out[i] = val(out[i]) end
        return out
    end

    local function map(t)
        local m = {}
        for k, v in pairs(t) do
            if type(k) == "string" then m[k] = val(v) end
        end
        return m
    end

    local function strings(fname, first, ...)
        local n, out = select("#", ...), {...}
        for i = 1, n do
            local s = out[i]
            if type(s) ~= "string" then bad_arg(i + first - 1, fname, "string", s) end
        end
        return out
    end

    ------------------------------------------------------------ handles
    local HANDLES = setmetatable({}, {__mode = "k"})
    local KINDS = setmetatable({}, {__mode = "k"})
    local DB_TYPES = setmetatable({}, {__mode = "k"})

    local function object(kind, h, mt)
        local o = setmetatable({}, mt)
        HANDLES[o], KINDS[o] = h, kind
        return o
    end

    local function handle_of(self, kind, name)
        if KINDS[self] ~= kind then
            error("bad self: expected a " .. kind .. " object (use obj:" .. name .. "(...))", 3)
        end
        return HANDLES[self]
    end

    local function runner_handle(r)
        local k = KINDS[r]
        if k == "db" or k == "tx" then return HANDLES[r] end
        return nil
    end

    local function sql_arg(fname, sql)
        if type(sql) ~= "string" then bad_arg(1, fname, "string", sql) end
    end
    local function params_error(p)
        if p ~= nil and type(p) ~= "table" then
            return lib_error("Invalid", "parameters must be a table, got " .. type(p), false)
        end
    end

    local execute_now, run_now = host.execute_now, host.run_now
    local utf8_len = utf8.len   -- invalid text goes the await way, which refuses it cleanly
    local STMT, TX, DB, EXEC = {}, {}, {}, {}
    local STMT_MT = protect({__index = STMT, __tostring = function() return "sql.Statement" end})
    local TX_MT = protect({__index = TX, __tostring = function() return "sql.Transaction" end})
    local DB_MT = protect({__index = DB, __tostring = function() return "sql.DB" end})
    local EXEC_MT = protect({__index = EXEC, __tostring = function() return "sql.QueryExecutor" end})
    -- A builder that cannot render still gets an executor (so `b:run_with(db):query()`
    -- is never "attempt to index a nil value"); its methods report the render error.
    local EXEC_ERRORS = setmetatable({}, {__mode = "k"})

    local B = BUILDER(host, {
        protect = protect, NULL = NULL, val = val, args = args, map = map, strings = strings,
        bad_arg = bad_arg, TYPED = TYPED, SQLIZERS = SQLIZERS, BUILDERS = BUILDERS,
        runner = runner_handle,
        executor = function(eh) return object("exec", eh, EXEC_MT) end,
        failed_executor = function(err)
            local o = object("exec", nil, EXEC_MT)
            EXEC_ERRORS[o] = err
            return o
        end,
    })

    -- query / execute / prepare are the same for a DB and a transaction.
    local function runner_methods(t, kind)
        function t.query(self, sql, params)
            local h = handle_of(self, kind, "query")
            sql_arg("query", sql)
            local perr = params_error(params)
            if perr then return nil, perr end
            return await("sql.query", h, sql, params)
        end
        function t.execute(self, sql, params)
            local h = handle_of(self, kind, "execute")
            sql_arg("execute", sql)
            local perr = params_error(params)
            if perr then return nil, perr end
            if kind == "db" and utf8_len(sql) then   -- at once when the loop's fast path can (sql.py)
                local r, err = execute_now(h, sql, params)
                if r ~= false then return r, err end
            end
            return await("sql.execute", h, sql, params)
        end
        function t.prepare(self, sql)
            local h = handle_of(self, kind, "prepare")
            sql_arg("prepare", sql)
            local sh, err = await("sql.prepare", h, sql)
            if sh == nil then return nil, err end
            return object("stmt", sh, STMT_MT), nil
        end
    end
    runner_methods(DB, "db")
    runner_methods(TX, "tx")

    function DB.type(self)
        handle_of(self, "db", "type")
        return DB_TYPES[self], nil
    end
    function DB.begin(self, opts)
        local h = handle_of(self, "db", "begin")
        local isolation, read_only
        if type(opts) == "table" then
            isolation = opts.isolation
            read_only = opts.read_only == true
            if isolation ~= nil and type(isolation) ~= "string" then isolation = nil end
        end
        local th, err = await("sql.begin", h, isolation, read_only)
        if th == nil then return nil, err end
        return object("tx", th, TX_MT), nil
    end
    function DB.release(self) return host.release(handle_of(self, "db", "release")) end
    function DB.stats(self) return host.stats(handle_of(self, "db", "stats")) end

    function TX.db_type(self) return host.tx_type(handle_of(self, "tx", "db_type")) end
    for _, name in next, {"commit", "rollback"} do
        TX[name] = function(self) return await("sql.tx", handle_of(self, "tx", name), name) end
    end
    for _, name in next, {"savepoint", "rollback_to", "release"} do
        TX[name] = function(self, sp)
            return await("sql.tx", handle_of(self, "tx", name), name, sp)
        end
    end

    for _, name in next, {"query", "execute"} do
        STMT[name] = function(self, params)
            local h = handle_of(self, "stmt", name)
            local perr = params_error(params)
            if perr then return nil, perr end
            return await("sql.stmt", h, name, params)
        end
    end
    function STMT.close(self) return host.stmt_close(handle_of(self, "stmt", "close")) end

    function EXEC.query(self)
        local eh = handle_of(self, "exec", "query")
        if eh == nil then return nil, EXEC_ERRORS[self] end
        return await("sql.run", eh, "query")
    end
    function EXEC.exec(self)
        local eh = handle_of(self, "exec", "exec")
        if eh == nil then return nil, EXEC_ERRORS[self] end
        local r, err = run_now(eh)
        if r ~= false then return r, err end
        return await("sql.run", eh, "execute")
    end
    function EXEC.to_sql(self)
        local eh = handle_of(self, "exec", "to_sql")
        if eh == nil then return nil, EXEC_ERRORS[self] end
        return host.bound_sql(eh)
    end

    ------------------------------------------------------------ module
    function M.get(id)
        if type(id) ~= "string" then bad_arg(1, "get", "string", id) end
        local h, db_type = host.get(id)
        if h == nil then return nil, db_type end
        local db = object("db", h, DB_MT)
        DB_TYPES[db] = db_type
        return db, nil
    end

    M.type = {POSTGRES = "postgres", MYSQL = "mysql", SQLITE = "sqlite", UNKNOWN = "unknown"}
    M.isolation = {
        DEFAULT = "default", READ_UNCOMMITTED = "read_uncommitted",
        READ_COMMITTED = "read_committed", WRITE_COMMITTED = "write_committed",
        REPEATABLE_READ = "repeatable_read", SERIALIZABLE = "serializable",
    }
    M.builder = B
    return M
end
