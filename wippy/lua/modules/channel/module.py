"""The `channel` global (always available) and `coroutine.spawn`.

Channels, select and the scheduler of a call's coroutines are Lua (channel.lua):
they never leave the call's Lua state. The one thing Python does is `channel.wait`:
when every coroutine of the call is blocked, wait for what can come from outside,
the process's mailbox (wippy/process/mailbox.py) or the next timer.
"""
from __future__ import annotations

import asyncio
from importlib import resources

from ....errors import INVALID, WippyError
from ..base import LuaModule

DEADLOCK = ("every coroutine of this call is blocked on a channel and nothing can wake "
            "them (no timer, no process inbox): deadlock")


async def _sleep(call, timeout):
    """A function's wait: only a timer can wake it."""
    if timeout is None:
        raise WippyError(DEADLOCK, INVALID, retryable=False)
    loop = asyncio.get_running_loop()
    if loop.time() + timeout > call.deadline:
        await asyncio.sleep(max(0.0, call.deadline - loop.time()))
        raise asyncio.TimeoutError
    await asyncio.sleep(timeout)
    return []


class ChannelModule(LuaModule):
    name = "channel"
    global_ = True
    effects = ()   # waiting changes nothing outside the call
    self_timed = ("channel.wait",)
    lua = resources.files(__package__).joinpath("channel.lua").read_text()

    def async_ops(self):
        def wait(call, timeout, unread):
            # Returns the awaitable itself (no coroutine frame of its own): an idle
            # process is parked here, and every frame is memory and GC work per process.
            # A process's mailbox, or the one a function call made by asking for its
            # PID (wippy/process/frame.py): messages to it wake the wait.
            proc = (call.extras.get("process") or call.extras.get("frame")) \
                if call.extras else None
            if proc is not None:
                return proc.mailbox.take(unread, timeout, call.deadline, call)
            return _sleep(call, timeout)
        return {"channel.wait": wait}
