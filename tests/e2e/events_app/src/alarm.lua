local logger = require("logger")
local events = require("events")

-- Hears only kind "reading.high" of system "sensors.temp".
local function main()
    local sub, err = events.subscribe("sensors.temp", "reading.high")
    if err then return nil, err end
    local ch, evts = sub:channel(), process.events()
    logger:info("alarm ready")
    while true do
        local r = channel.select{ch:case_receive(), evts:case_receive()}
        if r.channel == evts then
            if r.value.kind == process.event.CANCEL then sub:close(); return 0 end
        else
            logger:warn("alarm", {path = r.value.path, value = r.value.data.value})
        end
    end
end

return {main = main}
