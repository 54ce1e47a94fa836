-- The io module: terminal I/O for processes on a terminal.host (docs/modules/io.md).
-- Values are turned into text here with tostring, as Wippy's io does; the host side
-- writes, reads and reports errors as (nil, err).
return function(host, lib)
    local select, tostring, type, concat = select, tostring, type, table.concat
    local await = lib.await

    local function text(sep, ...)
        local n = select("#", ...)
        if n == 1 then return tostring((...)) end
        local parts = {}
        for i = 1, n do parts[i] = tostring((select(i, ...))) end
        return concat(parts, sep)
    end

    local M = {}
    function M.write(...) return host.write(1, text("", ...)) end
    function M.print(...) return host.write(1, text("\t", ...) .. "\n") end
    function M.eprint(...) return host.write(2, text("\t", ...) .. "\n") end
    function M.flush() return host.flush() end
    function M.args() return host.args() end

    -- With coroutines sharing the call (coroutine.spawn), a read must not hold them
    -- all: it waits on a channel of the call's scheduler, and the read, done on the
    -- loop, posts its result to the process's mailbox under a runtime topic of its
    -- own ("@io.read.N"), which the process module routes to that channel; the other
    -- coroutines run meanwhile, as time.sleep waits on a timer there. Alone, the
    -- call just awaits the read.
    local function shared_read(channels, op, n)
        local topic, err = host.start_read(op, n)
        if not topic then return nil, err end
        local h = channels.sched().host
        h.topics = h.topics or {}
        local ch = channels.new(1)
        h.topics[topic] = {ch = ch}
        local r = ch:receive()
        h.topics[topic] = nil
        if r.error then
            local e = r.error
            return nil, lib.error(e.kind, e.message, e.retryable)
        end
        return r.text
    end
    local function read(op, n)
        local ok, err = host.ready()
        if not ok then return nil, err end
        local channels = lib.channels   -- the channel module's, installed after this one
        local s = channels and channels.sched()
        if s and (s.spawned or 0) > 0 then return shared_read(channels, op, n) end
        if n == nil then return await("io." .. op) end
        return await("io." .. op, n)
    end

    function M.readline() return read("readline") end

    function M.read(n)
        if n ~= nil and type(n) ~= "number" then
            error(("bad argument #1 to 'read' (number expected, got %s)"):format(type(n)), 2)
        end
        if n == nil or n <= 0 then n = 1024 end
        return read("read", n)
    end

    function M.raw(enable)
        if enable == nil then enable = true end
        return host.raw(enable and true or false)
    end
    return M
end
