"""A function call's own PID and mailbox, as Wippy gives every call frame a PID.

Wippy's HTTP handlers and other function calls can tell a process "reply to me"
(`process.send(cart, "get_cart", {reply_to = process.pid()})`) and wait on
`process.inbox()` for the answer; the official shop example does. So the first time a
function call asks for its PID, it gets a Frame: a PID registered on the node (so
`process.send` reaches it) and a mailbox that the channel module's wait takes from,
as a process's. It ends with the call (`call.defer`): later sends to it fail with
NotFound, like sends to an ended process. A function that never asks pays nothing.
"""
from __future__ import annotations

from typing import Any

from ..errors import INVALID, WippyError
from .mailbox import Mailbox
from .node import node_of
from .pids import new_pid

FRAME_KEY = "frame"


class Frame:
    __slots__ = ("pid", "mailbox", "rel", "result", "trap_links", "__weakref__")

    def __init__(self, pid: str):
        self.pid = pid
        self.mailbox = Mailbox(pid)
        self.rel = None
        self.result = None       # a frame is live until its call ends (then forgotten)
        self.trap_links = False

    def relations(self) -> Any:
        from .process import Relations
        if self.rel is None:
            self.rel = Relations()
        return self.rel

    def kill(self, reason: str) -> None:
        raise WippyError(f"{self.pid} is a function call, not a process: it cannot be "
                         "terminated (it ends when the call returns)", INVALID,
                         retryable=False)


def frame_of(call: Any, create: bool = True) -> Frame | None:
    """The call's frame; made (and registered) on first use when `create`."""
    frame = call.extras.get(FRAME_KEY)
    if frame is None and create:
        node = node_of(call.objects)
        # The calling entry names the frame, as a host names its processes' PIDs.
        frame = call.extras[FRAME_KEY] = Frame(new_pid(call.entry_id))
        node.procs[frame.pid] = frame
        call.defer(lambda: node.forget(frame))
    return frame
