-- The `registry` module (docs/modules/registry.md): entries, snapshots, versions and
-- changesets. Snapshots and versions are Lua objects holding a version id; entries
-- are read on the Python side (module.py); a changeset keeps its operations here
-- until apply() hands them over.
return function(host, lib)
    local type, setmetatable, error, tostring, ipairs, pairs, tointeger =
        type, setmetatable, error, tostring, ipairs, pairs, math.tointeger
    local await, lib_error, protect = lib.await, lib.error, lib.protect

    local M = {}

    local function bad_arg(n, fname, expected, got)
        error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected ..
              " expected, got " .. type(got) .. ")", 3)
    end

    local function invalid(message) return lib_error("Invalid", message, false) end

    ------------------------------------------------------------ versions
    local VERSION = {}
    local VID = setmetatable({}, {__mode = "k"})
    local VERSION_MT = protect({__index = VERSION, __tostring = function(self)
        return "registry.Version{v" .. tostring(VID[self]) .. "}"
    end})

    local function version(id)
        local v = setmetatable({}, VERSION_MT)
        VID[v] = id
        return v
    end

    local function vid_of(self, name)
        local id = VID[self]
        if id == nil then error("bad self: expected a version (use version:" .. name .. "())", 3) end
        return id
    end

    function VERSION.id(self) return vid_of(self, "id") end
    function VERSION.string(self) return "v" .. vid_of(self, "string") end
    function VERSION.previous(self)
        local prev = host.neighbours(vid_of(self, "previous"))
        if prev == nil then return nil end
        return version(prev)
    end
    function VERSION.next(self)
        local _, nxt = host.neighbours(vid_of(self, "next"))
        if nxt == nil then return nil end
        return version(nxt)
    end

    ------------------------------------------------------------ changesets
    local CHANGES = {}
    local OPS = setmetatable({}, {__mode = "k"})
    local CHANGES_MT = protect({__index = CHANGES, __tostring = function(self)
        return "registry.Changes{ops=" .. tostring(#(OPS[self] or {})) .. "}"
    end})

    local function changes()
        local c = setmetatable({}, CHANGES_MT)
        OPS[c] = {}
        return c
    end

    local function ops_of(self, name)
        local ops = OPS[self]
        if ops == nil then error("bad self: expected changes (use changes:" .. name .. "())", 3) end
        return ops
    end

    local function add(self, name, op_kind, entry)
        local ops = ops_of(self, name)
        if type(entry) ~= "table" then bad_arg(1, name, "table", entry) end
        local checked, err = host.check_entry(entry)
        if err ~= nil then return nil, err end
        ops[#ops + 1] = {kind = op_kind, entry = checked}
        return self
    end

    function CHANGES.create(self, entry) return add(self, "create", "entry.create", entry) end
    function CHANGES.update(self, entry) return add(self, "update", "entry.update", entry) end
    function CHANGES.delete(self, id)
        local ops = ops_of(self, "delete")
        if type(id) ~= "string" and type(id) ~= "table" then
            return nil, invalid("invalid ID format")
        end
        local checked, err = host.check_id(id)
        if err ~= nil then return nil, err end
        ops[#ops + 1] = {kind = "entry.delete", entry = {id = checked}}
        return self
    end

    local function copy(v)
        if type(v) ~= "table" then return v end
        local out = {}
        for k, x in pairs(v) do out[k] = copy(x) end
        return out
    end

    function CHANGES.ops(self)
        return copy(ops_of(self, "ops"))
    end

    function CHANGES.apply(self)
        local ops = ops_of(self, "apply")
        if #ops == 0 then return nil, invalid("no changes to apply") end
        local id, err = await("registry.apply", ops)
        if err ~= nil then return nil, err end
        return version(id), nil
    end

    ------------------------------------------------------------ snapshots
    local SNAP = {}
    local SVID = setmetatable({}, {__mode = "k"})
    local SNAP_MT = protect({__index = SNAP, __tostring = function(self)
        return "registry.Snapshot{version=v" .. tostring(SVID[self]) .. "}"
    end})

    local function snapshot(id)
        local s = setmetatable({}, SNAP_MT)
        SVID[s] = id
        return s
    end

    local function svid(self, name)
        local id = SVID[self]
        if id == nil then error("bad self: expected a snapshot (use snap:" .. name .. "())", 3) end
        return id
    end

    function SNAP.entries(self) return host.snap_entries(svid(self, "entries")) end
    function SNAP.get(self, id)
        local vid = svid(self, "get")
        if type(id) ~= "string" then bad_arg(1, "get", "string", id) end
        return host.snap_get(vid, id)
    end
    function SNAP.find(self, filter)
        local vid = svid(self, "find")
        if type(filter) ~= "table" then bad_arg(1, "find", "table", filter) end
        return host.snap_find(vid, filter)
    end
    function SNAP.namespace(self, ns)
        local vid = svid(self, "namespace")
        if type(ns) ~= "string" then bad_arg(1, "namespace", "string", ns) end
        return host.snap_namespace(vid, ns)
    end
    function SNAP.version(self) return version(svid(self, "version")) end
    function SNAP.changes(self)
        svid(self, "changes")
        return changes()
    end

    ------------------------------------------------------------ history
    local HISTORY = {}
    local HISTORIES = setmetatable({}, {__mode = "k"})
    local HISTORY_MT = protect({__index = HISTORY, __tostring = function() return "registry.History{}" end})

    local function all_versions()
        local ids, err = host.versions()
        if err ~= nil then return nil, err end
        local out = {}
        for i, id in ipairs(ids) do out[i] = version(id) end
        return out, nil
    end

    local function history_of(self, name)
        if not HISTORIES[self] then error("bad self: expected a history (use hist:" .. name .. "())", 3) end
    end

    function HISTORY.versions(self)
        history_of(self, "versions")
        return all_versions()
    end
    function HISTORY.get_version(self, id)
        history_of(self, "get_version")
        if type(id) ~= "number" then bad_arg(1, "get_version", "number", id) end
        id = tointeger(id)
        if id == nil or id < 0 then return nil, invalid("invalid version ID") end
        if not host.has_version(id) then
            return nil, lib_error("NotFound", "version not found: " .. id, false)
        end
        return version(id), nil
    end
    function HISTORY.snapshot_at(self, v)
        history_of(self, "snapshot_at")
        local id = VID[v]
        if id == nil then return nil, invalid("expected version object") end
        return snapshot(id), nil
    end

    ------------------------------------------------------------ module functions
    function M.parse_id(id)
        if type(id) ~= "string" then bad_arg(1, "parse_id", "string", id) end
        local colon = id:find(":", 1, true)
        if colon == nil then return {ns = "", name = id} end
        return {ns = id:sub(1, colon - 1), name = id:sub(colon + 1)}
    end

    function M.get(id)
        if type(id) ~= "string" then bad_arg(1, "get", "string", id) end
        return host.get(id)
    end

    function M.find(filter)
        if type(filter) ~= "table" then bad_arg(1, "find", "table", filter) end
        return host.find(filter)
    end

    function M.snapshot()
        local id, err = host.head()
        if err ~= nil then return nil, err end
        return snapshot(id), nil
    end

    function M.snapshot_at(id)
        if type(id) ~= "number" then bad_arg(1, "snapshot_at", "number", id) end
        id = tointeger(id)
        if id == nil or id <= 0 then return nil, invalid("invalid version ID") end
        if not host.has_version(id) then
            return nil, lib_error("NotFound", "version not found", false)
        end
        return snapshot(id), nil
    end

    function M.current_version()
        local id, err = host.head()
        if err ~= nil then return nil, err end
        return version(id), nil
    end

    M.versions = all_versions

    function M.history()
        local _, err = host.head()
        if err ~= nil then return nil, err end
        local h = setmetatable({}, HISTORY_MT)
        HISTORIES[h] = true
        return h, nil
    end

    function M.apply_version(v)
        local id = VID[v]
        if id == nil then return false, invalid("expected version object") end
        local ok, err = await("registry.apply_version", id)
        if err ~= nil then return false, err end
        return true, nil
    end

    function M.build_delta(from, to)
        if type(from) ~= "table" then return nil, invalid("from_entries table required") end
        if type(to) ~= "table" then return nil, invalid("to_entries table required") end
        return host.build_delta(from, to)
    end

    return M
end
