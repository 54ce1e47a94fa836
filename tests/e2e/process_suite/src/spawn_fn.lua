-- A function may spawn processes, send to them and exec one. It is no process (it
-- cannot monitor), but asking for process.pid() gives it a PID of its own
-- (wippy/process/frame.py).
local http = require("http")
local time = require("time")

local function handler()
    local res = http.response()
    local doubled, err = process.exec("app:double", "app:processes", 21)
    if err then res:set_status(500); res:write_json({error = err:message()}); return end
    local echo = assert(process.spawn("app:echo", "app:processes"))
    local sent, serr = process.send(echo, "stop")
    local _, mon = process.spawn_monitored("app:echo", "app:processes")
    -- a timer and channels work in a function too
    local r = channel.select{time.after("5ms"):case_receive(), channel.new():case_receive()}
    res:write_json({doubled = doubled, pid_is_own = process.pid():find("{app:spawn_from_function|", 1, true) == 1, echo_is_pid = echo:sub(1, 1) == "{",
                    sent = sent, monitored_err = mon and mon:kind(), timer = r.ok})
end

return {handler = handler}
