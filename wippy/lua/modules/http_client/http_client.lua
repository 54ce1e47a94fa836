-- The `http_client` module: request methods, batch, stream objects, URL encoding.
-- Bodies and file contents may be binary: they cross mapped (see binary.py), and the
-- response body comes back as a raw Lua string.
return function(host, lib)
    local type, pairs, ipairs, setmetatable = type, pairs, ipairs, setmetatable
    local utf8_len, gsub = utf8.len, string.gsub
    local await = lib.await
    local LATIN1 = {}
    for b = 128, 255 do LATIN1[string.char(b)] = utf8.char(b) end

    local function mapped(s)                      -- s, false | latin-1 mapping, true
        if type(s) ~= "string" or utf8_len(s) then return s, false end
        return (gsub(s, "[\128-\255]", LATIN1)), true
    end

    -- A shallow copy of the options with body and file contents made crossable.
    local function prepare(opts)
        if type(opts) ~= "table" then return opts end
        local out = {}
        for k, v in pairs(opts) do out[k] = v end
        if type(opts.body) == "string" then out.body, out.body_mapped = mapped(opts.body) end
        if type(opts.files) == "table" then
            local files = {}
            for i, f in ipairs(opts.files) do
                if type(f) == "table" then
                    local c = {}
                    for k, v in pairs(f) do c[k] = v end
                    c.content, c.content_mapped = mapped(f.content)
                    files[i] = c
                else
                    files[i] = f
                end
            end
            out.files = files
        end
        return out
    end

    local stream_methods = {}
    local STREAM = setmetatable({}, {__mode = "k"})
    local STREAM_MT = lib.protect({__index = stream_methods, __name = "Stream"})
    function stream_methods.read(self, n)
        local h = STREAM[self]
        if h == nil then error("calling 'read' on bad self (use stream:read())", 2) end
        return await("http_client.read", h, n)
    end
    function stream_methods.close(self)
        local h = STREAM[self]
        if h == nil then error("calling 'close' on bad self (use stream:close())", 2) end
        return await("http_client.close", h)
    end

    local function response(r)
        if r.stream ~= nil then
            local s = setmetatable({}, STREAM_MT)
            STREAM[s] = r.stream
            r.stream = s
        end
        return r
    end

    local M = {}
    function M.request(method, url, opts)
        local r, err = await("http_client.request", method, url, prepare(opts))
        if err then return nil, err end
        return response(r), nil
    end
    for _, name in ipairs({"get", "post", "put", "patch", "delete", "head"}) do
        local method = name:upper()
        M[name] = function(url, opts) return M.request(method, url, opts) end
    end

    function M.request_batch(requests)
        if type(requests) ~= "table" then
            return nil, lib.error("Invalid", "requests must be an array of {method, url, options?}", false)
        end
        local list = {}
        for i, item in ipairs(requests) do
            if type(item) == "table" then
                list[i] = {item[1], item[2], prepare(item[3])}
            else
                list[i] = item
            end
        end
        local out, err = await("http_client.batch", list)
        if err then return nil, err end
        local errs = nil
        for i, e in pairs(out.errors) do
            errs = errs or {}
            errs[i] = lib.error(e.kind, e.message, e.retryable)
        end
        return out.responses, errs
    end

    M.encode_uri, M.decode_uri = host.encode_uri, host.decode_uri
    return M
end
