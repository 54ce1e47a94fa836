-- The query builder of the `sql` module (`sql.builder`), docs/modules/sql.md.
-- Trusted code, loaded by sql.py in front of sql.lua: this chunk evaluates
-- to `function(host, V) ... return B end`, where V holds the value helpers
-- shared with sql.lua (NULL, val, args, map, strings, bad_arg, TYPED,
-- SQLIZERS, BUILDERS) and V.runner / V.executor, set by sql.lua.
--
-- Builders are immutable: each keeps its plain state in `_s` (never mutated
-- after creation) and every method returns a new builder. SQL is rendered
-- in Python (host.render / host.bind) from that state.
return function(host, V)
    local type, error, setmetatable, select, pairs, next, rawequal =
        type, error, setmetatable, select, pairs, next, rawequal
    local floor, ceil, tointeger = math.floor, math.ceil, math.tointeger
    local sort, unpack = table.sort, table.unpack
    local protect = V.protect
    local NULL, val, args, map, strings, bad_arg = V.NULL, V.val, V.args, V.map, V.strings, V.bad_arg
    local TYPED, SQLIZERS, BUILDERS = V.TYPED, V.SQLIZERS, V.BUILDERS
    local B = {}

    ------------------------------------------------------------ conditions (Sqlizers)
    local SQLIZER_MT = protect({__index = {}})

    local function sqlizer(state)
        local s = setmetatable({_s = state}, SQLIZER_MT)
        SQLIZERS[s] = true
        return s
    end

    function SQLIZER_MT.__index.to_sql(self)
        if not SQLIZERS[self] then error("bad self: expected a Sqlizer (use expr:to_sql())", 2) end
        return host.render_cond(self._s)
    end
    SQLIZER_MT.__tostring = function(self) return host.describe(self._s, "SQL") end

    local function cond(fname, c, ...)
        local t = type(c)
        if t == "string" then
            if c == "" then return nil end
            return {cond = "raw", sql = c, args = args(...)}
        end
        if t == "table" and not BUILDERS[c] and not TYPED[c] and not rawequal(c, NULL) then
            if SQLIZERS[c] then return c._s end
            return {cond = "eq", map = map(c)}
        end
        error("bad argument #1 to '" .. fname .. "' (expected string, table, or Sqlizer)", 3)
    end

    function B.expr(sql, ...)
        if type(sql) ~= "string" then bad_arg(1, "expr", "string", sql) end
        return sqlizer({cond = "expr", sql = sql, args = args(...)})
    end

    for _, kind in next, {"eq", "not_eq", "lt", "lte", "gt", "gte", "like", "not_like"} do
        B[kind] = function(m, ...)
            if type(m) == "string" then   -- eq("col", value) shorthand
                local v = ...
                m = {[m] = v == nil and NULL or v}
            end
            if type(m) ~= "table" or SQLIZERS[m] or BUILDERS[m] then bad_arg(1, kind, "table", m) end
            return sqlizer({cond = kind, map = map(m)})
        end
    end

    local function conj(kind, label, first, ...)
        local list = first
        if select("#", ...) > 0 or SQLIZERS[first] then list = {first, ...} end
        if type(list) ~= "table" then bad_arg(1, kind .. "_", "table", list) end
        local parts = {}
        for _, p in pairs(list) do
            if type(p) ~= "table" or BUILDERS[p] or TYPED[p] then
                error("expected Sqlizer or table in " .. label .. " condition, got " .. type(p), 3)
            end
            parts[#parts + 1] = SQLIZERS[p] and p._s or {cond = "eq", map = map(p)}
        end
        return sqlizer({cond = kind, parts = parts})
    end
    function B.and_(...) return conj("and", "AND", ...) end
    function B.or_(...) return conj("or", "OR", ...) end

    ------------------------------------------------------------ builders
    local MTS, METHODS, LABELS = {}, {}, {
        select = "SelectBuilder", insert = "InsertBuilder",
        update = "UpdateBuilder", delete = "DeleteBuilder",
    }
    local FORMATS = {question = true, dollar = true, at = true, colon = true}

    local function new(state)
        local b = setmetatable({_s = state}, MTS[state.type])
        BUILDERS[b] = state.type
        return b
    end

    local function copy(s)
        local o = {}
        for k, v in next, s do o[k] = v end
        return o
    end

    local function with(self, key, value)
        local s = copy(self._s)
        s[key] = value
        return new(s)
    end

    local function append(self, key, items)
        local s = copy(self._s)
        local list, old = {}, s[key]
        if old then for i = 1, #old do list[i] = old[i] end end
        for i = 1, #items do list[#list + 1] = items[i] end
        s[key] = list
        return new(s)
    end

    local function count(fname, n)
        if type(n) ~= "number" then bad_arg(1, fname, "number", n) end
        n = tointeger(n >= 0 and floor(n) or ceil(n)) or 0
        return n < 0 and 0 or n
    end

    -- Methods shared by several builder kinds; `self` is checked on entry.
    local function method(kinds, name, fn)
        for kind in kinds:gmatch("%a+") do
            METHODS[kind] = METHODS[kind] or {}
            METHODS[kind][name] = function(self, ...)
                if BUILDERS[self] ~= kind then
                    error("bad self: expected a " .. LABELS[kind] .. " (use q:" .. name .. "(...))", 2)
                end
                return fn(self, ...)
            end
        end
    end

    method("select update delete", "where", function(self, c, ...)
        local w = cond("where", c, ...)
        if w == nil then return self end
        return append(self, "where", {w})
    end)
    method("select update delete", "order_by", function(self, ...)
        return append(self, "order_by", strings("order_by", 1, ...))
    end)
    method("select update delete", "limit", function(self, n) return with(self, "limit", count("limit", n)) end)
    method("select update delete", "offset", function(self, n) return with(self, "offset", count("offset", n)) end)
    method("select update delete insert", "suffix", function(self, sql, ...)
        if type(sql) ~= "string" then bad_arg(1, "suffix", "string", sql) end
        return append(self, "suffixes", {{sql = sql, args = args(...)}})
    end)
    method("select update delete insert", "placeholder_format", function(self, f)
        if not FORMATS[f] then error("bad argument #1 to 'placeholder_format' (expected placeholder format)", 2) end
        return with(self, "placeholder", f)
    end)
    method("select update delete insert", "to_sql", function(self) return host.render(self._s) end)
    -- A one-row INSERT of plain values and nothing else (the common case) crosses
    -- as plain arguments: into, #columns, columns..., values... Python renders it
    -- exactly as the general path would, without converting the state's tables.
    local function flat_insert(s)
        if s.type ~= "insert" or s.select or s.options or s.prefixes or s.suffixes
            or (s.placeholder ~= nil and s.placeholder ~= "question") then return nil end
        local rows, cols = s.rows, s.columns or {}
        if rows == nil or #rows ~= 1 then return nil end
        local row = rows[1]
        local out, n = {s.into, #cols}, 2
        for i = 1, #cols do n = n + 1; out[n] = cols[i] end
        for i = 1, #row do
            local v = row[i]
            local t = type(v)
            if t ~= "string" and t ~= "number" and t ~= "boolean" then return nil end
            n = n + 1; out[n] = v
        end
        return out, n
    end

    method("select update delete insert", "run_with", function(self, runner)
        local h = V.runner(runner)
        if h == nil then error("bad argument #1 to 'run_with' (database or transaction expected)", 2) end
        local flat, n = flat_insert(self._s)
        local eh, err
        if flat then
            eh, err = host.bind_insert(h, unpack(flat, 1, n))
        else
            eh, err = host.bind(h, self._s)
        end
        if eh == nil then return V.failed_executor(err) end
        return V.executor(eh)
    end)

    method("select delete", "from", function(self, t)
        if type(t) ~= "string" then bad_arg(1, "from", "string", t) end
        return with(self, "from", t)
    end)
    for _, j in next, {{"join", "JOIN "}, {"left_join", "LEFT JOIN "},
                       {"right_join", "RIGHT JOIN "}, {"inner_join", "INNER JOIN "}} do
        method("select", j[1], function(self, clause, ...)
            if type(clause) ~= "string" then bad_arg(1, j[1], "string", clause) end
            return append(self, "joins", {{sql = j[2] .. clause, args = args(...)}})
        end)
    end
    method("select", "group_by", function(self, ...)
        return append(self, "group_by", strings("group_by", 1, ...))
    end)
    method("select", "having", function(self, c, ...)
        local h = cond("having", c, ...)
        if h == nil then return self end
        return append(self, "having", {h})
    end)
    method("select insert", "columns", function(self, ...)
        return append(self, "columns", strings("columns", 1, ...))
    end)
    method("select", "distinct", function(self) return with(self, "distinct", true) end)

    method("insert", "into", function(self, t)
        if type(t) ~= "string" then bad_arg(1, "into", "string", t) end
        return with(self, "into", t)
    end)
    method("insert", "values", function(self, ...) return append(self, "rows", {args(...)}) end)
    method("insert", "options", function(self, ...)
        return append(self, "options", strings("options", 1, ...))
    end)
    method("insert", "prefix", function(self, sql, ...)
        if type(sql) ~= "string" then bad_arg(1, "prefix", "string", sql) end
        return append(self, "prefixes", {{sql = sql, args = args(...)}})
    end)
    method("insert", "select", function(self, q)
        if BUILDERS[q] ~= "select" then bad_arg(1, "select", "SelectBuilder", q) end
        return with(self, "select", q._s)
    end)

    local function sorted_map(fname, m)
        if type(m) ~= "table" or BUILDERS[m] or SQLIZERS[m] then bad_arg(1, fname, "table", m) end
        local keys = {}
        for k in pairs(m) do if type(k) == "string" then keys[#keys + 1] = k end end
        sort(keys)
        return keys
    end
    method("insert", "set_map", function(self, m)
        local keys, row = sorted_map("set_map", m), {}
        for i = 1, #keys do row[i] = val(m[keys[i]]) end
        local s = copy(self._s)
        s.columns, s.rows = keys, {row}
        return new(s)
    end)

    method("update", "table", function(self, t)
        if type(t) ~= "string" then bad_arg(1, "table", "string", t) end
        return with(self, "table", t)
    end)
    method("update", "set", function(self, column, v)
        if type(column) ~= "string" then bad_arg(1, "set", "string", column) end
        return append(self, "set", {{column = column, value = val(v)}})
    end)
    method("update", "set_map", function(self, m)
        local keys, sets = sorted_map("set_map", m), {}
        for i = 1, #keys do sets[i] = {column = keys[i], value = val(m[keys[i]])} end
        return append(self, "set", sets)
    end)
    method("update", "from", function(self, t)
        if type(t) ~= "string" then bad_arg(1, "from", "string", t) end
        local s = copy(self._s)
        s.from, s.from_select = t, nil
        return new(s)
    end)
    method("update", "from_select", function(self, q, alias)
        if BUILDERS[q] ~= "select" then bad_arg(1, "from_select", "SelectBuilder", q) end
        if type(alias) ~= "string" then bad_arg(2, "from_select", "string", alias) end
        local s = copy(self._s)
        s.from, s.from_select = nil, {select = q._s, alias = alias}
        return new(s)
    end)

    for kind, methods in next, METHODS do
        MTS[kind] = protect({
            __index = methods,
            __tostring = function(self) return host.describe(self._s, LABELS[kind]) end,
        })
    end

    function B.select(...)
        return new({type = "select", columns = strings("select", 1, ...)})
    end
    local function table_arg(fname, t)
        if t ~= nil and type(t) ~= "string" then bad_arg(1, fname, "string", t) end
        return t or ""
    end
    function B.insert(t) return new({type = "insert", into = table_arg("insert", t)}) end
    function B.update(t) return new({type = "update", table = table_arg("update", t)}) end
    function B.delete(t) return new({type = "delete", from = table_arg("delete", t)}) end

    B.question, B.dollar, B.at, B.colon = "question", "dollar", "at", "colon"
    B.default_placeholder = "question"

    return B
end
