-- JSON text for plain Lua values, byte for byte what wippy.jsonx.encode writes
-- for the same value, without crossing into Python (trusted code, loaded by
-- boot.lua). It covers the common shapes only and returns nil for anything
-- else, and then the Python encoder decides, errors included:
--   * floats (integral floats inside tables are fine), NaN, infinities;
--   * strings that are not valid UTF-8;
--   * tables with keys other than all strings or exactly 1..n, error objects,
--     functions, userdata or coroutines anywhere;
--   * nesting deeper than MAX_DEPTH or more than MAX_ITEMS values in all.
-- Object keys are sorted with Lua's `<`, which is byte order (= code point
-- order, as Python sorts) only under the C collation; it is checked per call.
return function(is_object, is_error)
    local type, next, rawget = type, next, rawget
    local mtype, tointeger = math.type, math.tointeger
    local concat, sort = table.concat, table.sort
    local find, gsub, format, char = string.find, string.gsub, string.format, string.char
    local utf8_len = utf8.len

    local MAX_DEPTH, MAX_ITEMS = 32, 4096

    -- Python's json escapes (lower-case \u00xx) plus jsonx's HTML-safe ones.
    local ESC = {['"'] = '\\"', ['\\'] = '\\\\', ['\b'] = '\\b', ['\f'] = '\\f',
                 ['\n'] = '\\n', ['\r'] = '\\r', ['\t'] = '\\t',
                 ['<'] = '\\u003c', ['>'] = '\\u003e', ['&'] = '\\u0026'}
    for c = 0, 31 do
        local ch = char(c)
        if ESC[ch] == nil then ESC[ch] = format("\\u%04x", c) end
    end
    local SEPARATORS = {["\226\128\168"] = "\\u2028", ["\226\128\169"] = "\\u2029"}
    local SPECIAL = '[\0-\31"\\<>&\128-\255]'   -- anything quote() may change
    local ESCAPED = '[\0-\31"\\<>&]'
    local NOT_PLAIN = "[^\63-\126\32-\37\39-\59\61]"   -- not printable ASCII minus < > &

    local function quote(s)
        if not find(s, SPECIAL) then return '"' .. s .. '"' end
        -- Printable ASCII whose only specials are " and \ (JSON text inside JSON,
        -- say): Lua's %q escapes exactly those two, in C.
        if not find(s, NOT_PLAIN) then return format("%q", s) end
        local wide = find(s, "[\128-\255]")
        if wide and not utf8_len(s) then return nil end   -- invalid UTF-8
        s = gsub(s, ESCAPED, ESC)
        if wide then s = gsub(s, "\226\128[\168\169]", SEPARATORS) end
        return '"' .. s .. '"'
    end

    -- Quoted forms of short strings, remembered: keys and common values repeat
    -- from call to call, and scanning a string costs more than a table lookup.
    -- Keys are kept with their colon. Both caches start over when full.
    local CACHE_MAX, SHORT = 2048, 64
    local quoted, quoted_n, keyed, keyed_n = {}, 0, {}, 0

    local function quote_value(s)
        local q = quoted[s]
        if q then return q end
        q = quote(s)
        if q and #s <= SHORT then
            if quoted_n >= CACHE_MAX then quoted, quoted_n = {}, 0 end
            quoted[s], quoted_n = q, quoted_n + 1
        end
        return q
    end

    local function quote_key(s)
        local q = keyed[s]
        if q then return q end
        q = quote(s)
        if q == nil then return nil end
        q = q .. ":"
        if #s <= SHORT then
            if keyed_n >= CACHE_MAX then keyed, keyed_n = {}, 0 end
            keyed[s], keyed_n = q, keyed_n + 1
        end
        return q
    end

    local budget   -- values left for this encode
    local encode

    local function encode_table(t, depth, buf, n)
        if depth > MAX_DEPTH then return nil end
        local count, strings, max_index = 0, 0, 0
        for k in next, t do
            count = count + 1
            if type(k) == "string" then
                strings = strings + 1
            elseif mtype(k) == "integer" and k > 0 then
                if k > max_index then max_index = k end
            else
                return nil
            end
        end
        budget = budget - count
        if budget < 0 then return nil end
        if count == 0 then
            if is_error(t) then return nil end
            n = n + 1; buf[n] = is_object(t) and "{}" or "[]"
            return n
        end
        if strings == count then
            local keys, i = {}, 0
            for k in next, t do i = i + 1; keys[i] = k end
            sort(keys)
            local sep = "{"
            for j = 1, count do
                local k = keys[j]
                local q = quote_key(k)
                if q == nil then return nil end
                buf[n + 1], buf[n + 2] = sep, q
                n = n + 2
                sep = ","
                n = encode(rawget(t, k), depth, buf, n)
                if n == nil then return nil end
            end
            n = n + 1; buf[n] = "}"
            return n
        end
        if strings > 0 or max_index ~= count then return nil end   -- mixed or sparse
        n = n + 1; buf[n] = "["
        for j = 1, count do
            if j > 1 then n = n + 1; buf[n] = "," end
            n = encode(rawget(t, j), depth, buf, n)
            if n == nil then return nil end
        end
        n = n + 1; buf[n] = "]"
        return n
    end

    encode = function(v, depth, buf, n)
        local tv = type(v)
        local s
        if tv == "string" then
            s = quote_value(v)
        elseif tv == "number" then
            s = tointeger(v)          -- integral floats print as integers, as in jsonx
            if s == nil then return nil end
            s = format("%d", s)
        elseif tv == "boolean" then
            s = v and "true" or "false"
        elseif tv == "table" then
            return encode_table(v, depth + 1, buf, n)
        end
        if s == nil then return nil end
        n = n + 1; buf[n] = s
        return n
    end

    -- json_text(value) -> text, or nil: "ask the Python encoder".
    return function(value)
        if not ("B" < "a") then return nil end        -- not byte-order collation
        local tv = type(value)
        if tv == "number" and mtype(value) ~= "integer" then return nil end  -- Go's float rules
        if tv ~= "table" and tv ~= "string" and tv ~= "number" and tv ~= "boolean" then
            return nil
        end
        budget = MAX_ITEMS
        local buf = {}
        local n = encode(value, 0, buf, 0)
        if n == nil then return nil end
        return concat(buf, "", 1, n)
    end
end
