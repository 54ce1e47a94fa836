"""The Lua `events` module (docs/modules/events.md): publish and subscribe on the
runtime's event bus (bus.py).

    local events = require("events")
    local sub, err = events.subscribe("orders.*", "order.created")   -- in a process
    local ok, err = events.send("orders", "order.created", "/orders/1", {id = 1})

Like the process module, every operation touches loop-owned state: a step on the
event loop calls the host functions directly; a step on a worker thread gets
`OFF_LOOP` back and events.lua repeats the call as an async op, which runs on the loop.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ....errors import INTERNAL, WippyError
from ..base import LuaModule
from .bus import bus_of

OFF_LOOP = "\0off-loop"


def _ops() -> dict[str, Any]:
    def subscribe(call, system, kind):
        proc = call.extras.get("process") if call.extras else None
        if proc is None:
            raise WippyError("no process PID: events.subscribe needs a process (a "
                             "process.lua entry); a function call has no mailbox to "
                             "deliver events to", INTERNAL, retryable=False)
        return bus_of(call.objects).subscribe(proc, system, kind or "")

    def unsubscribe(call, topic):
        return bus_of(call.objects).unsubscribe(topic)

    def send(call, system, kind, path, data=None):
        bus_of(call.objects).send(system, kind, path, data)
        return True

    return {"subscribe": subscribe, "unsubscribe": unsubscribe, "send": send}


def _plain_args(fn):
    """Host-function form: Lua tables cross as plain data (copied), on the loop only."""
    def host(call, *args):
        if not call.worker.on_loop:
            return OFF_LOOP
        return fn(call, *[a if isinstance(a, (str, int, float, bool, type(None)))
                          else call.from_lua(a) for a in args])
    return host


class EventsModule(LuaModule):
    name = "events"
    effects = ("send", "subscribe", "unsubscribe")
    lua = resources.files(__package__).joinpath("events.lua").read_text()

    def host_functions(self):
        out = {name: _plain_args(fn) for name, fn in _ops().items()}
        out["off_loop"] = lambda call: OFF_LOOP
        return out

    def async_ops(self):
        ops = {}
        for name, fn in _ops().items():
            async def op(call, *args, _fn=fn):
                return _fn(call, *args)
            ops[f"events.{name}"] = op
        return ops
