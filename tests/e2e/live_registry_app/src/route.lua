local http = require("http")
local registry = require("registry")

local function handler()
    local req, res = http.request(), http.response()
    local path, answer = req:query("path"), req:query("answer")
    local name = "dyn" .. path:gsub("[^%w]", "_")
    local changes = registry.snapshot():changes()
    changes:create({
        id = "app:" .. name,
        kind = "function.lua",
        data = {
            source = "local http = require('http')\n"
                  .. "local function run() http.response():write(" .. string.format("%q", answer) .. ") end\n"
                  .. "return { run = run }",
            method = "run",
            modules = {"http"},
        },
    })
    changes:create({
        id = "app:" .. name .. ".endpoint",
        kind = "http.endpoint",
        meta = {router = "app:api"},
        data = {method = "GET", path = path, func = "app:" .. name},
    })
    local version, err = changes:apply()
    if err then
        res:set_status(400)
        return res:write_json({error = tostring(err), kind = err:kind()})
    end
    res:write_json({version = version:string()})
end

return { handler = handler }
