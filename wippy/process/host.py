"""A process.host: where processes run (docs/modules/process.md, docs/process-model.md).

Processes are engine calls, so they share the engine's Lua states and threads with
every other call; the host owns their bookkeeping: spawning (bounded by
`MAX_PROCESSES`), mailbox size (`queue_size`), and a graceful stop: every process
gets a CANCEL event, then those still running after `stop_timeout` are terminated.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from ..errors import INVALID, NOT_FOUND, UNAVAILABLE, WippyError
from ..lua.call import CallResult, FunctionDef
from . import links
from .node import Node
from .pids import new_pid
from .process import Process

log = logging.getLogger("wippy.process")

MAX_PROCESSES = 100_000   # per host: a spawn loop fails here instead of eating the memory


def grace_period(stop_timeout: float) -> float:
    """How long processes get after CANCEL: the lifecycle's stop_timeout less a second
    (at least half of it), so terminating the rest still fits in the supervisor's wait."""
    return max(stop_timeout / 2, stop_timeout - 1.0)


class ProcessHost:
    def __init__(self, entry_id: str, engine: Any, node: Node, objects: dict,
                 mailbox_size: int = 1024, stop_timeout: float = 10.0,
                 max_processes: int = MAX_PROCESSES):
        self.entry_id = entry_id
        self.engine = engine
        self.node = node
        self.objects = objects
        self.mailbox_size = mailbox_size
        self.stop_timeout = stop_timeout
        self.max_processes = max_processes
        self.running = False
        self.procs: dict[str, Process] = {}
        # Read by /metrics at scrape time (wippy/ops/metrics.py).
        self.spawned = 0
        self.exits = {"ok": 0, "error": 0, "killed": 0}

    async def start(self) -> None:
        self.running = True

    def spawn(self, fdef: FunctionDef, args: list, parent: Process | None = None,
              link: bool = False, monitor: bool = False, extras: dict | None = None) -> Process:
        if not self.running:
            raise WippyError(f"process host {self.entry_id} is not running", UNAVAILABLE,
                             retryable=True)
        if len(self.procs) >= self.max_processes:
            raise WippyError(f"process host {self.entry_id} already runs {self.max_processes} "
                             "processes (its limit); spawn refused", UNAVAILABLE, retryable=True)
        proc = Process(new_pid(self.entry_id), self, fdef, args, self.mailbox_size,
                       parent.pid if parent else None, extras)
        self.procs[proc.pid] = proc
        self.node.procs[proc.pid] = proc
        self.spawned += 1
        if parent is not None and link:
            links.link(parent, proc)
        if parent is not None and monitor:
            links.monitor(parent, proc)
        proc.start()
        return proc

    def spawn_entry(self, entry_id: str, args: list, parent: Process | None = None,
                    link: bool = False, monitor: bool = False,
                    extras: dict | None = None) -> Process:
        fdef = self.definition(entry_id)
        return self.spawn(fdef, args, parent, link, monitor, extras)

    def definition(self, entry_id: str) -> FunctionDef:
        """The process.lua entry `entry_id`, or NotFound."""
        fdef = self.node.defs.get(entry_id)
        if fdef is None:
            what = "is not a process.lua entry" if entry_id in self.objects else "does not exist"
            raise WippyError(f"cannot spawn {entry_id!r}: it {what}", NOT_FOUND, retryable=False)
        return fdef

    def exited(self, proc: Process, result: CallResult) -> None:
        self.procs.pop(proc.pid, None)
        self.node.forget(proc)
        outcome = ("killed" if proc.kill_reason is not None
                   else "error" if result.error is not None else "ok")
        self.exits[outcome] += 1
        links.propagate(self.node, proc, result)
        if result.error is not None and proc.kill_reason is None:
            log.warning("process %s (%s) failed: %s", proc.pid, proc.fdef.entry_id,
                        result.error.message)

    def cancel(self, proc: Process, reason: str | None, sender: str | None) -> None:
        proc.mailbox.put_event({"kind": links.CANCEL, "from": sender or self.entry_id,
                                "reason": reason or ""})

    async def stop(self) -> None:
        """CANCEL to every process, a grace period to finish, then terminate the rest."""
        self.running = False
        procs = list(self.procs.values())
        for proc in procs:
            self.cancel(proc, "host stopping", None)
        pending = [p.done for p in procs if not p.done.done()]
        grace = grace_period(self.stop_timeout)
        if pending:
            await asyncio.wait(pending, timeout=grace)
        for proc in procs:
            if not proc.done.done():
                proc.kill(f"terminated: still running {grace:g} s after CANCEL (host stopping)")
        pending = [p.done for p in procs if not p.done.done()]
        if pending:
            await asyncio.wait(pending, timeout=5.0)
