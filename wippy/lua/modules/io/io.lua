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

    function M.readline()
        local ok, err = host.ready()
        if not ok then return nil, err end
        return await("io.readline")
    end

    function M.read(n)
        if n ~= nil and type(n) ~= "number" then
            error(("bad argument #1 to 'read' (number expected, got %s)"):format(type(n)), 2)
        end
        if n == nil or n <= 0 then n = 1024 end
        local ok, err = host.ready()
        if not ok then return nil, err end
        return await("io.read", n)
    end

    function M.raw(enable)
        if enable == nil then enable = true end
        return host.raw(enable and true or false)
    end
    return M
end
