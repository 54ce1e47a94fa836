"""One process: a long-lived Lua call with a pid, a mailbox, links and monitors.

It runs as an ordinary engine call (`LuaEngine.call`) whose `extras` carry the
process: the channel module's `channel.wait` takes from its mailbox, the process
module reads its pid. Its steps run on the event loop's Lua state like any call,
and like any call a step that holds the loop past the inline slice is stopped (its
entry runs on worker threads from then on); on a worker thread, a step that runs
longer than `STEP_LIMIT` without yielding ends the process with an error.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from ..lua.call import CallResult, FunctionDef
from .mailbox import Mailbox

if TYPE_CHECKING:  # pragma: no cover
    from .host import ProcessHost

log = logging.getLogger("wippy.process")

LIFETIME = 100 * 365 * 24 * 3600.0   # a process has no call deadline
STEP_LIMIT = 5.0                     # seconds one step may run on a worker thread
STATE_MEMORY = 512 << 20             # the loop's Lua state for processes (~4 KiB per idle one)
# A process step on the loop is stopped after this much of its own time, not after the
# 20 ms slice of other calls: a process stopped there fails (it cannot be moved), and
# the allocator's and collector's work on the shared state lands in steps (25-80 ms
# measured with 10 000 processes; docs/process-model.md). Spawns and sends still yield
# near the end of the 20 ms slice.
LOOP_STEP_BUDGET = 0.1
STEP_TOO_LONG = ("a step ran too long without yielding (a loop that never waits?) and was "
                 "stopped: {budget:g} ms on the event loop, then {limit:g} s on a worker thread")


class Relations:
    """Links, monitors and names of one process (pids and names as strings)."""
    __slots__ = ("links", "monitors", "watching", "names")

    def __init__(self) -> None:
        self.links: set[str] = set()       # bidirectional
        self.monitors: set[str] = set()    # pids that get EXIT when this one ends
        self.watching: set[str] = set()    # pids this one monitors
        self.names: set[str] = set()


class Process:
    __slots__ = ("pid", "host", "fdef", "args", "mailbox", "rel", "trap_links", "task", "_done",
                 "result", "kill_reason", "parent", "started", "extras", "upgrade_to",
                 "__weakref__")

    def __init__(self, pid: str, host: "ProcessHost", fdef: FunctionDef, args: list,
                 capacity: int, parent: str | None = None, extras: dict | None = None):
        self.pid = pid
        self.host = host
        self.fdef = fdef
        self.args = args
        self.parent = parent
        self.mailbox = Mailbox(pid, capacity)
        self.rel: Relations | None = None   # made on first link/monitor/name: most have none
        self.trap_links = False
        self.task: asyncio.Task | None = None
        self._done: asyncio.Future | None = None   # made when someone waits for the end
        self.result: CallResult | None = None
        self.kill_reason: str | None = None
        self.started = False
        self.extras = extras                 # more call extras (the spawner's context)
        self.upgrade_to: tuple | None = None   # (FunctionDef, args) set by process.upgrade

    @property
    def done(self) -> asyncio.Future:
        """A future of the process's CallResult (done already if it ended)."""
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
            if self.result is not None:
                self._done.set_result(self.result)
        return self._done

    def relations(self) -> Relations:
        if self.rel is None:
            self.rel = Relations()
        return self.rel

    def start(self) -> None:
        self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        self.started = True
        engine = self.host.engine
        try:
            while True:
                extras = {"process": self, "step_limit": STEP_LIMIT, "lua_state": "process",
                          "lua_state_memory": STATE_MEMORY,
                          "lua_state_budget": LOOP_STEP_BUDGET}
                if self.extras:
                    extras.update(self.extras)
                result = await engine.call(self.fdef, self.args,
                                           budget=self.fdef.budget or LIFETIME, extras=extras)
                if self.upgrade_to is None:
                    break
                # process.upgrade: the same PID, mailbox, links and names run on
                self.fdef, self.args = self.upgrade_to
                self.upgrade_to = None
        except asyncio.CancelledError:
            result = CallResult([], _error(self.kill_reason or "terminated"), raised=True)
        except Exception as exc:   # never leave monitors waiting
            log.exception("process %s (%s) failed in the runtime", self.pid, self.fdef.entry_id)
            result = CallResult([], _error(f"internal error: {type(exc).__name__}"), raised=True)
        err = result.error
        if err is not None and err.kind == "Unavailable" and "step ran too long" in err.message:
            err.message = STEP_TOO_LONG.format(budget=LOOP_STEP_BUDGET * 1000, limit=STEP_LIMIT)
        elif err is not None and err.message == "not enough memory":
            cap = getattr(engine, "_max_memory", 0) >> 20
            err.message = OUT_OF_MEMORY.format(cap=cap, loop_cap=STATE_MEMORY >> 20)
        self._finish(result)

    def _finish(self, result: CallResult) -> None:
        if self.result is not None:
            return
        self.result = result
        self.host.exited(self, result)
        if self._done is not None and not self._done.done():
            self._done.set_result(result)

    def kill(self, reason: str) -> None:
        """Terminate now: the Lua call is cancelled wherever it waits."""
        if self.task is not None and not self.task.done():
            self.kill_reason = self.kill_reason or reason
            self.task.cancel()
            if not self.started:   # its coroutine will never run: end it here
                self._finish(CallResult([], _error(self.kill_reason), raised=True))


OUT_OF_MEMORY = ("not enough memory: the Lua state this process ran on reached its cap "
                 "({cap} MiB on a worker thread, {loop_cap} MiB for the processes on the "
                 "event loop; shared by everything on that state)")


def _error(message: str) -> Any:
    from ..errors import CANCELED, WippyError
    return WippyError(message, CANCELED, retryable=False)
