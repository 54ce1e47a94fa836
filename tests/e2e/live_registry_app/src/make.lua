local http = require("http")
local registry = require("registry")
local funcs = require("funcs")
local json = require("json")

local function handler()
    local req, res = http.request(), http.response()
    local name = req:query("name")
    local answer = req:query("answer")
    local snap, err = registry.snapshot()
    if err then return res:set_status(500), res:write(tostring(err)) end
    local changes = snap:changes()
    changes:create({
        id = "app:" .. name,
        kind = "function.lua",
        meta = {type = "dynamic"},
        data = {
            source = "local function run() return " .. string.format("%q", answer) .. " end\n"
                  .. "return { run = run }",
            method = "run",
        },
    })
    local version, apply_err = changes:apply()
    if apply_err then
        res:set_status(400)
        return res:write_json({error = tostring(apply_err), kind = apply_err:kind()})
    end
    local value, call_err = funcs.call("app:" .. name)
    if call_err then
        res:set_status(500)
        return res:write_json({error = tostring(call_err)})
    end
    res:write_json({version = version:string(), answer = value})
end

return { handler = handler }
