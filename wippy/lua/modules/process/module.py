"""The `process` global (always available): pids, messages, spawn, links, monitors,
names (docs/modules/process.md). The bookkeeping is wippy/process/; this file is
the Lua-facing layer.

Every function here touches loop-owned state. A step on the event loop's Lua state
(the usual case) calls them directly; a step on a worker thread gets `OFF_LOOP` back
and process.lua repeats the call as an async op, which runs on the loop. A spawn or send
near the end of a loop step's slice gets `OFF_LOOP` too (YIELD_MARGIN below).
"""
from __future__ import annotations

import time
from importlib import resources
from typing import Any

from ....errors import INVALID, WippyError
from ....process import links
from ....process.node import node_of
from ....process.frame import frame_of
from ....process.host import ProcessHost
from ....process.size import message_size
from ..base import LuaModule, LuaRaise
from ..funcs.module import CONTEXT

OFF_LOOP = "\0off-loop"


def _me(call):
    return call.extras.get("process") if call.extras else None


def _need_me(call, what: str):
    proc = _me(call)
    if proc is None:
        raise WippyError(f"process.{what}: no process context (this runs in a function, "
                         "not in a process)", INVALID, retryable=False)
    return proc


def _host(call, host_id):
    host = call.objects.get(host_id) if isinstance(host_id, str) else None
    if not isinstance(host, ProcessHost):
        raise WippyError(f"{host_id!r} is not a process.host entry", INVALID, retryable=False)
    return host


def _ops() -> dict[str, Any]:
    def pid(call):
        # A function call gets a PID of its own on first ask (wippy/process/frame.py).
        return (_me(call) or frame_of(call)).pid

    def send(call, dest, topic, payload):
        target = node_of(call.objects).resolve(dest)
        me = _me(call) or frame_of(call, create=False)
        target.mailbox.put(["m", topic, me.pid if me else None, payload], message_size(payload))
        return True

    def spawn(call, entry_id, host_id, mode, args, context=None):
        me = _me(call)
        link, monitor = "l" in mode, "m" in mode
        if (link or monitor) and me is None:
            _need_me(call, "spawn_linked" if link else "spawn_monitored")
        # Context values flow down, as through funcs: the caller's, then the spawner's.
        inherited = call.extras.get(CONTEXT) if call.extras else None
        if context:
            inherited = {**(inherited or {}), **context}
        extras = {CONTEXT: inherited} if inherited else None
        proc = _host(call, host_id).spawn_entry(entry_id, list(args or []), me, link, monitor,
                                                extras)
        return proc.pid

    def spawn_with(call, entry_id, host_id, mode, args, name, messages, context):
        node = node_of(call.objects)
        if name is not None and name in node.names:
            raise WippyError(f"name {name!r} is already registered to {node.names[name]}",
                             "AlreadyExists", retryable=False)
        pid_ = spawn(call, entry_id, host_id, mode, args, context)
        if name is not None:
            node.register(name, pid_)
        proc = node.procs[pid_]
        me = _me(call)
        for topic, payload in messages or []:
            proc.mailbox.put(["m", topic, me.pid if me else None, payload], message_size(payload))
        return pid_

    def terminate(call, dest):
        target = node_of(call.objects).resolve(dest)
        target.kill("terminated by " + (_me(call).pid if _me(call) else call.entry_id))
        return True

    def cancel(call, dest, reason):
        target = node_of(call.objects).resolve(dest)
        me = _me(call)
        target.host.cancel(target, reason, me.pid if me else None)
        return True

    def relation(fn, what):
        def op(call, dest):
            me = _need_me(call, what)
            target = node_of(call.objects).resolve(dest)
            if target is me:
                raise WippyError(f"process.{what}: a process cannot {what} itself", INVALID,
                                 retryable=False)
            fn(me, target)
            return True
        return op

    def upgrade(call, entry_id, args):
        me = _need_me(call, "upgrade")
        fdef = me.fdef if entry_id is None else me.host.definition(entry_id)
        me.upgrade_to = (fdef, list(args or []))
        return True

    def set_trap(call, value):
        _need_me(call, "set_options").trap_links = bool(value)
        return True

    def get_trap(call):
        me = _me(call)
        return bool(me and me.trap_links)

    def register(call, name, pid_):
        if pid_ is None:
            pid_ = _need_me(call, "registry.register").pid
        return node_of(call.objects).register(name, pid_)

    def lookup(call, name):
        return node_of(call.objects).lookup(name)

    def unregister(call, name):
        return node_of(call.objects).unregister(name)

    return {"pid": pid, "send": send, "spawn": spawn, "spawn_with": spawn_with,
            "terminate": terminate, "cancel": cancel,
            "link": relation(links.link, "link"), "unlink": relation(links.unlink, "unlink"),
            "monitor": relation(links.monitor, "monitor"),
            "unmonitor": relation(links.unmonitor, "unmonitor"),
            "upgrade": upgrade, "set_trap": set_trap, "get_trap": get_trap, "register": register,
            "lookup": lookup, "unregister": unregister}


# A loop of spawns or sends (the official mass-spawn example spawns 10 000 processes
# in one loop) would hold the event loop until the hook stops the step, which ends a
# process that already did something. So when its step on the loop is this close to the
# end of its slice, such a call goes through the async op instead: one yield, and the
# process goes on in a fresh step after the loop has served everything else.
YIELD_MARGIN = 0.005
YIELDING = frozenset({"spawn", "spawn_with", "send"})


def _plain_args(fn, name=""):
    """Host-function form: Lua tables cross as plain data (copied), on the loop only."""
    yields = name in YIELDING

    def host(call, *args):
        worker = call.worker
        if not worker.on_loop:
            return OFF_LOOP
        if yields and worker.slice_end is not None and \
                time.monotonic() > worker.slice_end - YIELD_MARGIN:
            return OFF_LOOP
        return fn(call, *[call.from_lua(a) if not isinstance(a, (str, int, float, bool, type(None)))
                          else a for a in args])
    return host


class ProcessModule(LuaModule):
    name = "process"
    global_ = True
    effects = ("send", "spawn", "terminate", "cancel", "link", "unlink", "monitor",
               "unmonitor", "set_trap", "register", "unregister", "exec", "upgrade")
    lua = resources.files(__package__).joinpath("process.lua").read_text()

    def host_functions(self):
        out = {name: _plain_args(fn, name) for name, fn in _ops().items()}
        out["off_loop"] = lambda call: OFF_LOOP
        return out

    def async_ops(self):
        ops = {}
        for name, fn in _ops().items():
            async def op(call, *args, _fn=fn):
                return _fn(call, *args)
            ops[f"process.{name}"] = op

        async def exec_(call, entry_id, host_id, args):
            proc = _host(call, host_id).spawn_entry(entry_id, list(args or []), None)
            result = await proc.done
            if result.error is not None:
                raise result.error
            return result.first
        ops["process.exec"] = exec_
        return ops
