-- Replies to every message with its payload, on topic "reply"; ends on "stop".
local function main()
    local inbox = process.inbox()
    while true do
        local msg = inbox:receive()
        if msg:topic() == "stop" then return "stopped" end
        process.send(msg:from(), "reply", msg:payload():data())
    end
end
return {main = main}
