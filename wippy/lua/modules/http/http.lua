-- The `http` module, server side (docs/modules/http.md; docs/decisions.md: D4, D8).
-- Trusted code: argument shapes are checked here; the request/response state
-- lives in Python (`call.http`) and every method reaches it through a host
-- function on this thread, so no method waits on the event loop except
-- flush()/write_event(), which send data while the handler runs.
return function(host, lib)
    local M = {}
    local type, error, setmetatable, tostring = type, error, setmetatable, tostring
    local math_type = math.type

    local function bad_arg(n, fname, expected, got)
        error("bad argument #" .. n .. " to '" .. fname .. "' (" .. expected ..
              " expected, got " .. type(got) .. ")", 3)
    end

    -- Objects carry only the token of their request; Python checks it on every use,
    -- so an object kept past its request fails instead of reading another request.
    local TOKENS = setmetatable({}, {__mode = "k"})
    local function token_of(self, what)
        local t = TOKENS[self]
        if t == nil then error("bad self: expected an http." .. what .. " (use obj:method())", 3) end
        return t
    end

    ------------------------------------------------------------------ Request
    local R = {}
    local function req_getter(name)
        local f = host["req_" .. name]
        return function(self) return f(token_of(self, "Request")) end
    end
    for _, name in ipairs({"method", "path", "host", "remote_addr", "query_params",
                           "content_type", "content_length", "body", "body_json",
                           "has_body", "params", "headers"}) do
        R[name] = req_getter(name)
    end
    local h_query, h_header, h_param = host.req_query, host.req_header, host.req_param
    local h_accepts, h_is_ct = host.req_accepts, host.req_is_content_type

    function R.query(self, key)
        local t = token_of(self, "Request")
        if type(key) ~= "string" then bad_arg(1, "query", "string", key) end
        return h_query(t, key)
    end
    function R.header(self, name)
        local t = token_of(self, "Request")
        if type(name) ~= "string" then bad_arg(1, "header", "string", name) end
        return h_header(t, name)
    end
    function R.param(self, name)
        local t = token_of(self, "Request")
        if type(name) ~= "string" then bad_arg(1, "param", "string", name) end
        return h_param(t, name)
    end
    function R.accepts(self, ct)
        local t = token_of(self, "Request")
        if type(ct) ~= "string" then bad_arg(1, "accepts", "string", ct) end
        return h_accepts(t, ct)
    end
    function R.is_content_type(self, ct)
        local t = token_of(self, "Request")
        if type(ct) ~= "string" then bad_arg(1, "is_content_type", "string", ct) end
        return h_is_ct(t, ct)
    end
    local function unsupported(what, instead)
        return function(self)
            token_of(self, "Request")
            return nil, lib.error("Internal", what .. " is not supported yet; " .. instead, false)
        end
    end
    R.stream = unsupported("request:stream()", "use request:body()")
    R.parse_multipart = unsupported("request:parse_multipart()", "use request:body()")

    local REQUEST_MT = lib.protect({
        __index = R,
        __newindex = function() error("http.Request is read-only", 2) end,
        __tostring = function() return "http.Request" end,
    })

    ------------------------------------------------------------------ Response
    local W = {}
    local h_status, h_set_header, h_ct = host.res_set_status, host.res_set_header, host.res_set_content_type
    local h_write, h_json, h_transfer, h_event = host.res_write, host.res_write_json,
        host.res_set_transfer, host.res_write_event

    -- Setters return nil or an error object.
    local function second(_, err) return err end

    function W.set_status(self, code)
        local t = token_of(self, "Response")
        if math_type(code) == nil then bad_arg(1, "set_status", "number", code) end
        return second(h_status(t, code))
    end
    function W.set_header(self, name, value)
        local t = token_of(self, "Response")
        if type(name) ~= "string" then bad_arg(1, "set_header", "string", name) end
        local vt = type(value)
        if vt == "number" then value = tostring(value)
        elseif vt ~= "string" then bad_arg(2, "set_header", "string", value) end
        return second(h_set_header(t, name, value))
    end
    function W.set_content_type(self, ct)
        local t = token_of(self, "Response")
        if type(ct) ~= "string" or ct == "" then bad_arg(1, "set_content_type", "non-empty string", ct) end
        return second(h_ct(t, ct))
    end
    -- Binary bodies: bytes 0x80-0xFF cross as U+0080-U+00FF and Python turns them
    -- back into the same bytes (the bridge itself only carries valid UTF-8 text).
    local utf8_len, gsub = utf8.len, string.gsub
    local h_write_binary = host.res_write_binary
    local LATIN1 = {}
    for b = 128, 255 do LATIN1[string.char(b)] = utf8.char(b) end

    function W.write(self, data)
        local t = token_of(self, "Response")
        local dt = type(data)
        if dt == "number" then data = tostring(data)
        elseif dt ~= "string" then bad_arg(1, "write", "string", data) end
        if not utf8_len(data) then
            return second(h_write_binary(t, (gsub(data, "[\128-\255]", LATIN1))))
        end
        return second(h_write(t, data))
    end
    local json_text, h_json_text = lib.json_text, host.res_write_json_text
    function W.write_json(self, value)
        local t = token_of(self, "Response")
        local text = json_text(value)   -- common shapes encode in Lua; the rest in Python
        if text ~= nil then return second(h_json_text(t, text)) end
        return second(h_json(t, value))
    end
    function W.set_transfer(self, mode)
        local t = token_of(self, "Response")
        if mode ~= "chunked" and mode ~= "sse" then
            error("bad argument #1 to 'set_transfer' (invalid transfer type: use http.TRANSFER.CHUNKED or http.TRANSFER.SSE)", 2)
        end
        return second(h_transfer(t, mode))
    end
    function W.flush(self)
        token_of(self, "Response")
        local _, err = lib.await("http.flush")
        return err
    end
    function W.write_event(self, event)
        local t = token_of(self, "Response")
        if type(event) ~= "table" then bad_arg(1, "write_event", "table", event) end
        local name, data = event.name, event.data
        if type(name) ~= "string" or name == "" then
            error("bad argument #1 to 'write_event' (missing event name)", 2)
        end
        if data == nil then error("bad argument #1 to 'write_event' (missing event data)", 2) end
        local _, err = h_event(t, name, data)
        if err ~= nil then return err end
        local _, ferr = lib.await("http.flush")
        return ferr
    end

    local RESPONSE_MT = lib.protect({
        __index = W,
        __newindex = function() error("http.Response is read-only", 2) end,
        __tostring = function() return "http.Response" end,
    })

    ------------------------------------------------------------------ module
    local h_context, http_token = host.context, lib.http_token
    function M.request(opts)
        if opts ~= nil and type(opts) ~= "table" then bad_arg(1, "request", "table", opts) end
        -- The call's token came with it; Python is asked only for options or its error.
        local token, err
        if opts == nil then token = http_token() end
        if token == nil then token, err = h_context(opts) end
        if token == nil then return nil, err end
        local r = setmetatable({}, REQUEST_MT)
        TOKENS[r] = token
        return r, nil
    end
    function M.response()
        local token, err = http_token()
        if token == nil then token, err = h_context(nil) end
        if token == nil then return nil, err end
        local w = setmetatable({}, RESPONSE_MT)
        TOKENS[w] = token
        return w, nil
    end

    M.METHOD = {GET = "GET", POST = "POST", PUT = "PUT", DELETE = "DELETE", PATCH = "PATCH",
                HEAD = "HEAD", OPTIONS = "OPTIONS"}
    M.STATUS = {
        OK = 200, CREATED = 201, ACCEPTED = 202, NO_CONTENT = 204, PARTIAL_CONTENT = 206,
        MOVED_PERMANENTLY = 301, FOUND = 302, SEE_OTHER = 303, NOT_MODIFIED = 304,
        TEMPORARY_REDIRECT = 307, PERMANENT_REDIRECT = 308,
        BAD_REQUEST = 400, UNAUTHORIZED = 401, PAYMENT_REQUIRED = 402, FORBIDDEN = 403,
        NOT_FOUND = 404, METHOD_NOT_ALLOWED = 405, NOT_ACCEPTABLE = 406, CONFLICT = 409,
        GONE = 410, UNPROCESSABLE = 422, TOO_MANY_REQUESTS = 429,
        INTERNAL_ERROR = 500, INTERNAL_SERVER_ERROR = 500, NOT_IMPLEMENTED = 501,
        BAD_GATEWAY = 502, SERVICE_UNAVAILABLE = 503, GATEWAY_TIMEOUT = 504,
        VERSION_NOT_SUPPORTED = 505,
    }
    M.CONTENT = {JSON = "application/json", FORM = "application/x-www-form-urlencoded",
                 MULTIPART = "multipart/form-data", TEXT = "text/plain",
                 STREAM = "application/octet-stream"}
    M.TRANSFER = {CHUNKED = "chunked", SSE = "sse"}
    M.ERROR = {PARSE_FAILED = "PARSE_FAILED", INVALID_STATE = "INVALID_STATE",
               WRITE_FAILED = "WRITE_FAILED", STREAM_ERROR = "STREAM_ERROR"}
    return M
end
