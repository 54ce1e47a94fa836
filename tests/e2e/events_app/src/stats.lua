local http = require("http")
local system = require("system")
local events = require("events")

-- GET /stats: the system module's read-outs, and what subscribing from a function gives.
local function handler()
    local res = http.response()
    local mem = system.memory.stats()
    local states = system.supervisor.states()
    local hub = system.supervisor.state("app:hub.service")
    local hosts = system.hosts.list()
    local procs = system.hosts.processes("app:processes")
    local ids = {}
    for i, st in ipairs(states) do ids[i] = st.id end
    table.sort(ids)
    local _, sub_err = events.subscribe("sensors.*")
    res:write_json({
        memory = mem, goroutines = system.runtime.goroutines(),
        pid = system.process.pid(), cpus = system.runtime.cpu_count(),
        services = ids, hub = hub, hosts = hosts, procs = #procs,
        subscribe_in_function = sub_err:kind(),
    })
end

return {handler = handler}
