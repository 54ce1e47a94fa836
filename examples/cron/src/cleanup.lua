-- A periodic job: the ticker keeps the schedule, the body runs under pcall so a
-- failing run is logged and the next tick still comes on time (no drift: ticks
-- are on a fixed grid from the start, however long a run takes).
local time = require("time")
local logger = require("logger")

local runs = 0

local function run_once()
    runs = runs + 1
    if runs == 3 then error("run 3 fails on purpose") end   -- a crash of the body
    logger:info("cleanup ran", {run = runs, at_ms = time.now():unix_nano() // 1000000})
    if runs == 5 then time.sleep("150ms") end   -- a slow run: run 6 still comes on the grid
end

local function main(interval)
    local ticker, err = time.ticker(interval or "1m")
    if err then return nil, err end
    local ticks, events = ticker:response(), process.events()
    while true do
        local r = channel.select{ticks:case_receive(), events:case_receive()}
        if r.channel == events and r.value.kind == process.event.CANCEL then
            ticker:stop()
            logger:info("cleanup stopping", {reason = r.value.reason})
            return 0
        end
        if r.channel == ticks then
            local ok, failure = pcall(run_once)
            if not ok then logger:error("cleanup run failed", {error = tostring(failure)}) end
        end
    end
end

return {main = main}
