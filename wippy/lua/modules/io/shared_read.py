"""A stdin read that does not hold the other coroutines of its process (io.lua).

`io.readline()`/`io.read()` normally await their async op: the whole call waits, which
is right when nothing else runs in it. When the program spawned coroutines
(`coroutine.spawn`), the read runs as a task on the loop instead and posts its result
to the process's mailbox as a message on a runtime topic of its own ("@io.read.N");
io.lua waits for it on a channel of the call's scheduler, so the others run, sleep
and wait meanwhile, as they do around `time.sleep`.
"""
from __future__ import annotations

import asyncio
import itertools
import logging
from typing import Any, Awaitable

from ....errors import INTERNAL, WippyError
from ....process.mailbox import MailboxFull

log = logging.getLogger("wippy.io")

_ids = itertools.count(1)
FULL_RETRY = 0.01   # seconds between tries while the mailbox is full


def start_shared_read(loop: asyncio.AbstractEventLoop, proc: Any,
                      read: Awaitable[str]) -> str:
    """Start `read` on the loop for `proc`; returns the topic its result comes on:
    {text = ...} or {error = <plain error>}. Called from whichever thread runs the step."""
    topic = f"@io.read.{next(_ids)}"

    def start() -> None:
        task = loop.create_task(_deliver(proc, topic, read))
        # The process ended first: nobody is left to read the line for.
        proc.done.add_done_callback(lambda _: task.cancel())

    try:
        on_loop = asyncio.get_running_loop() is loop
    except RuntimeError:
        on_loop = False
    if on_loop:
        start()
    else:
        loop.call_soon_threadsafe(start)
    return topic


async def _deliver(proc: Any, topic: str, read: Awaitable[str]) -> None:
    try:
        payload = {"text": await read}
    except WippyError as exc:   # end of input, Ctrl-C (Canceled), a failed read
        payload = {"error": exc.to_plain()}
    except Exception:
        log.exception("stdin read failed for %s", proc.pid)
        payload = {"error": WippyError("internal error in io read", INTERNAL,
                                       retryable=False).to_plain()}
    while True:
        try:
            proc.mailbox.put(["m", topic, None, payload])
            return
        except MailboxFull:   # the line waits its turn rather than being lost
            await asyncio.sleep(FULL_RETRY)
