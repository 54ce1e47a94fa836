local logger = require("logger")
local events = require("events")
local time = require("time")

-- Counts every event of any "sensors.*" system; a ticker in the same select shows that
-- the subscription's channel, process events and a timer wait together.
local function main()
    local sub, err = events.subscribe("sensors.*")
    if err then return nil, err end
    local ch, evts = sub:channel(), process.events()
    local ticker = time.ticker("50ms")
    local counts, ticks = {}, 0
    logger:info("hub ready")
    while true do
        local r = channel.select{ch:case_receive(), evts:case_receive(), ticker:response():case_receive()}
        if r.channel == ch then
            local e = r.value
            counts[e.system] = (counts[e.system] or 0) + 1
            logger:info("hub got", {system = e.system, kind = e.kind, path = e.path,
                                    value = e.data and e.data.value, count = counts[e.system]})
        elseif r.channel == evts then
            if r.value.kind == process.event.CANCEL then
                ticker:stop()
                logger:info("hub closing", {closed = sub:close(), again = sub:close(),
                                            ticked = ticks > 0})
                return 0
            end
        else
            ticks = ticks + 1
            if ticks == 1 then logger:info("hub ticked") end
        end
    end
end

return {main = main}
