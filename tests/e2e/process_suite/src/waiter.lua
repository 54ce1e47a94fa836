-- Waits for CANCEL and reports its reason to the process named "suite".
local function main()
    local ev = process.events():receive()
    process.send("suite", "cancelled", {kind = ev.kind, reason = ev.reason, from = ev.from})
    return 0
end
return {main = main}
