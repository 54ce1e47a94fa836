"""The Lua `system` module (docs/modules/system.md, Wippy's lua/system/system.md):
runtime, memory, process, host, supervisor and (standalone) cluster state.

    local system = require("system")
    local mem, err = system.memory.stats()
    local n, err = system.runtime.goroutines()

Every function returns `value, nil` or `nil, err`. Read-outs come from stats.py (the
mapping to what Python can report) and from the runtime's own objects: process hosts,
the supervisor. There is no cluster here: the node is alone, Raft and distributed
locks are unavailable (errors, as in Wippy without clustering).
"""
from __future__ import annotations

import asyncio
import gc
import os
import socket
import threading
from importlib import resources

from ....errors import INTERNAL, INVALID, WippyError
from ....process.host import ProcessHost
from ..base import LuaModule
from . import stats

RUNTIME_KEY = "@runtime"   # set in runtime.py
UNLIMITED = 2 ** 63 - 1          # Go's "no memory limit" (math.MaxInt64)
NODE_ID = "local"

# Process-wide settings, as Go's are per process (one runtime per `wippy run`).
_settings = {"memory_limit": UNLIMITED, "gc_percent": 100}


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _internal(message: str) -> WippyError:
    return WippyError(message, INTERNAL, retryable=False)


def _int(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise _invalid(f"{what} must be an integer")
    return int(value)


def _runtime(call):
    rt = call.objects.get(RUNTIME_KEY)
    if rt is None or getattr(rt, "supervisor", None) is None:
        raise _internal("service info not available (no running runtime)")
    return rt


def _state(sid: str, st: dict, wanted: set) -> dict:
    ns = int(st["since"] * 1e9)
    out = {"id": sid, "status": st["state"],
           "desired": "running" if sid in wanted else "stopped",
           "retry_count": st["attempts"], "last_update": ns,
           "started_at": ns if st["state"] == "running" else 0}
    if st.get("last_error"):
        out["details"] = str(st["last_error"])
    return out


def _hosts(call) -> list[ProcessHost]:
    return [o for o in call.objects.values() if isinstance(o, ProcessHost)]


def _ops():   # name -> fn(call, *args); host functions, all cheap and on the calling thread
    def mem_stats(call):
        return call.to_lua(stats.memory_stats())

    def set_limit(call, limit=None):
        if limit is None:
            raise _invalid("memory limit value required")
        limit = _int(limit, "limit")
        if limit < -1:
            raise _invalid("limit must be non-negative or -1")
        prev = _settings["memory_limit"]
        _settings["memory_limit"] = UNLIMITED if limit == -1 else limit
        return prev

    def gc_collect(call):
        gc.collect()
        return True

    def set_percent(call, percent=None):
        if percent is None:
            raise _invalid("percent value required")
        percent = _int(percent, "percent")
        prev = _settings["gc_percent"]
        _settings["gc_percent"] = percent
        # The one part with a Python meaning: a negative percent turns collection off.
        (gc.disable if percent < 0 else gc.enable)()
        return 100 if prev < 0 else prev

    def goroutines(call):
        try:
            tasks = len(asyncio.all_tasks())
        except RuntimeError:   # a worker thread: no running loop here
            tasks = 0
        return tasks + threading.active_count()

    def max_procs(call, n=None):
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        if n is None:
            return cpus
        if _int(n, "GOMAXPROCS value") <= 0:
            raise _invalid("GOMAXPROCS value must be positive")
        return cpus

    def hostname(call):
        try:
            return socket.gethostname()
        except OSError as exc:
            raise _internal(f"get hostname: {exc}") from None

    def cwd(call):
        try:
            return os.getcwd()
        except OSError as exc:
            raise _internal(f"get working directory: {exc}") from None

    def exit_(call, code=0):
        code = _int(code if code is not None else 0, "exit code")
        rt = call.objects.get(RUNTIME_KEY)
        stop = getattr(rt, "request_stop", None)
        if stop is None:
            raise _internal("no runtime to stop (system.exit works under wippy run)")
        rt.exit_code = code
        stop()
        return True

    def modules(call):
        from .. import MODULES
        out = [{"name": name, "description": (type(m).__doc__ or "").strip().split("\n")[0],
                "class": []} for name, m in MODULES.items()]
        return call.to_lua(out)

    def hosts_list(call):
        # workers: the engine's Lua threads, which every host shares
        return call.to_lua([{"id": h.entry_id, "workers": len(getattr(h.engine, "_workers", ())),
                             "processes": len(h.procs), "executed": 0, "stolen": 0,
                             "queue_depth": sum(len(p.mailbox) for p in h.procs.values())}
                            for h in _hosts(call)])

    def hosts_processes(call, host_id=None):
        if not isinstance(host_id, str) or not host_id:
            raise _invalid("host ID required")
        out = []
        for h in _hosts(call):
            if h.entry_id != host_id:
                continue
            for p in h.procs.values():
                row = {"pid": p.pid, "host": h.entry_id, "source": p.fdef.entry_id,
                       "state": "running" if p.started else "starting", "steps": 0,
                       "started_at": 0}
                if p.parent:
                    row["parent"] = p.parent
                out.append(row)
        return call.to_lua(out)

    def sup_state(call, sid=None):
        if not isinstance(sid, str) or not sid:
            raise _invalid("service ID required")
        rt = _runtime(call)
        st = rt.supervisor.status().get(sid)
        if st is None:
            raise _internal(f"get service state: service {sid} not found")
        return call.to_lua(_state(sid, st, set(rt.supervisor.wanted())))

    def sup_states(call):
        rt = _runtime(call)
        wanted = set(rt.supervisor.wanted())
        return call.to_lua([_state(sid, st, wanted)
                            for sid, st in rt.supervisor.status().items()])

    def members(call):
        return call.to_lua([{"id": NODE_ID, "is_local": True}])

    return {
        "mem_stats": mem_stats, "allocated": lambda call: stats.allocated(),
        "heap_objects": lambda call: stats.memory_stats()["heap_objects"],
        "set_limit": set_limit, "get_limit": lambda call: _settings["memory_limit"],
        "gc_collect": gc_collect, "set_percent": set_percent,
        "get_percent": lambda call: _settings["gc_percent"],
        "goroutines": goroutines, "max_procs": max_procs,
        "cpu_count": lambda call: os.cpu_count() or 1,
        "pid": lambda call: os.getpid(), "hostname": hostname, "cwd": cwd,
        "exit": exit_, "modules": modules, "hosts_list": hosts_list,
        "hosts_processes": hosts_processes, "sup_state": sup_state, "sup_states": sup_states,
        "node_id": lambda call: NODE_ID, "members": members,
    }


class SystemModule(LuaModule):
    """Runtime, memory, process, host, supervisor and cluster state."""
    name = "system"
    effects = ("set_limit", "gc_collect", "set_percent", "max_procs", "exit")
    lua = resources.files(__package__).joinpath("system.lua").read_text()

    def host_functions(self):
        return _ops()
