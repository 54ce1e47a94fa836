-- The `system` module (docs/modules/system.md); read-outs are Python's (module.py).
return function(host, lib)
    local function no_raft()
        return nil, lib.error("Internal", "raft not available", false)
    end
    return {
        exit = host.exit,
        modules = host.modules,
        memory = {
            stats = host.mem_stats, allocated = host.allocated,
            heap_objects = host.heap_objects, set_limit = host.set_limit,
            get_limit = host.get_limit,
        },
        gc = {collect = host.gc_collect, set_percent = host.set_percent,
              get_percent = host.get_percent},
        runtime = {goroutines = host.goroutines, max_procs = host.max_procs,
                   cpu_count = host.cpu_count},
        process = {pid = host.pid, hostname = host.hostname, cwd = host.cwd},
        hosts = {list = host.hosts_list, processes = host.hosts_processes},
        supervisor = {state = host.sup_state, states = host.sup_states},
        -- A standalone node: no membership layer, no Raft, no global registry.
        node = {
            id = host.node_id,
            addr = function()
                return nil, lib.error("Internal", "local node address not available "
                    .. "(no cluster membership on a standalone node)", false)
            end,
            role = function() return "non-member" end,
        },
        cluster = {
            members = host.members,
            leader = function() return "" end,
            size = function() return 1 end,
        },
        raft = {is_leader = no_raft, is_member = no_raft, role = no_raft, term = no_raft,
                commit_index = no_raft, stats = no_raft},
        lock = {
            acquire = function()
                return nil, lib.error("Internal", "distributed locks need the global "
                    .. "registry, which a standalone node does not have", false)
            end,
            release = function()
                return nil, lib.error("Internal", "distributed locks need the global "
                    .. "registry, which a standalone node does not have", false)
            end,
        },
    }
end
