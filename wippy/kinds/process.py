"""process.lua, process.host and process.service (docs/kinds/lua.md; docs/decisions.md: D3).

A process.service runs its process.lua once per start. How it ends decides
what the supervisor does (docs/decisions.md D3): returning 0, nil, true or nothing is success
(the service exits and is never restarted); a non-zero number, false,
`nil, err` or a raised error is failure (restarted with backoff).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from ..errors import WippyError
from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..lua.call import CallResult, FunctionDef
from ..process.host import ProcessHost, grace_period
from ..process.node import node_of
from ..process.process import Process
from .base import BuildContext, Kind
from .function import Limits, check_lua, library_imports

log = logging.getLogger("wippy.process")


class ProcessFailed(WippyError):
    """A process ended in failure; the supervisor restarts its service (or, when it
    fails at boot before the services that require it could start, stops the boot)."""


@dataclass
class ProcessConfig:
    source: str = spec(required=True, opaque=True)
    method: str = spec("", doc="exported function; empty runs the whole chunk")
    modules: list[str] = spec(default_factory=list)
    imports: dict[str, Any] = spec(default_factory=dict, ref="library.lua",
                                   doc="alias -> library.lua entry, for require(alias)")
    limits: Limits = spec(default_factory=lambda: Limits(timeout=0.0))


class ProcessKind(Kind):
    name = "process.lua"
    config = ProcessConfig
    summary = "A Lua process definition, run by a process.service."

    def validate(self, entry: Entry, cfg: ProcessConfig) -> list[tuple[str, str]]:
        return check_lua(entry, cfg)

    def build(self, entry: Entry, cfg: ProcessConfig, ctx: BuildContext) -> FunctionDef:
        # Processes are long-lived by nature: no call budget unless one is set.
        budget = cfg.limits.timeout or 365 * 24 * 3600.0
        # Steps start on the event loop like any call (a message costs no thread hop);
        # one that holds it too long moves the entry to worker threads (wippy/process).
        fdef = ctx.lua.define(entry.id, cfg.source, cfg.method, cfg.modules, budget=budget,
                              inline=True, imports=library_imports(cfg, ctx),
                              source_file=entry.source_files.get("data.source"))
        node_of(ctx.objects).defs[entry.id] = fdef   # what process.spawn may start
        return fdef


@dataclass
class HostOptions:
    workers: int = spec(0, min=0, doc="accepted for compatibility; Lua runs on the engine's workers")
    queue_size: int = spec(1024, min=1, doc="mailbox capacity of each process (messages)")
    local_queue_size: int = spec(256, min=1)


@dataclass
class HostConfig:
    host: HostOptions = spec(default_factory=HostOptions)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class HostKind(Kind):
    name = "process.host"
    config = HostConfig
    summary = "A host that runs processes."

    def build(self, entry: Entry, cfg: HostConfig, ctx: BuildContext) -> ProcessHost:
        return ProcessHost(entry.id, ctx.lua, node_of(ctx.objects), ctx.objects,
                           mailbox_size=cfg.host.queue_size,
                           stop_timeout=cfg.lifecycle.stop_timeout)


@dataclass
class ServiceConfig:
    process: str = spec(required=True, ref="process.lua")
    host: str = spec(required=True, ref="process.host")
    input: list[Any] = spec(default_factory=list)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


def outcome_error(result: CallResult) -> str | None:
    """Why a process run counts as failed (docs/decisions.md D3), or None for success."""
    if result.error is not None:
        return str(result.error.message)
    first = result.first
    if first is False:
        return "process returned false"
    if isinstance(first, (int, float)) and not isinstance(first, bool) and first != 0:
        return f"process exited with code {first}"
    return None


class ProcessService:
    """Runs one process per start; `wait()` reports how it ended.

    `run_once`: the process may finish by itself (a migration), so the services that
    require this one start only after it exited successfully, or after it kept running
    for `stable_threshold` (then it is a long-running process). See wippy/supervisor.py.
    """

    run_once = True

    def __init__(self, entry_id: str, fdef: FunctionDef, host: ProcessHost, inputs: list,
                 ctx: BuildContext, stop_timeout: float = 10.0):
        self.entry_id = entry_id
        self.fdef = fdef
        self.host = host
        self.inputs = inputs
        self.stop_timeout = stop_timeout
        self.proc: Process | None = None

    async def start(self) -> None:
        if not self.host.running:
            raise RuntimeError(f"process host {self.host.entry_id} is not running")
        self.proc = self.host.spawn(self.fdef, list(self.inputs))

    async def wait(self) -> None:
        result = await asyncio.shield(self.proc.done)
        reason = outcome_error(result)
        if reason:
            raise ProcessFailed(f"{self.fdef.entry_id}: {reason}")

    async def stop(self) -> None:
        """CANCEL first; terminated if still running after the grace period
        (the lifecycle's stop_timeout less a second, see grace_period)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.done.done():
            return
        self.host.cancel(proc, "service stopping", None)
        grace = grace_period(self.stop_timeout)
        await asyncio.wait([proc.done], timeout=grace)
        if not proc.done.done():
            proc.kill(f"terminated: still running {grace:g} s after CANCEL")
            await asyncio.wait([proc.done], timeout=5.0)


class ServiceKind(Kind):
    name = "process.service"
    config = ServiceConfig
    summary = "Runs a process.lua on a process.host under supervision."

    def build(self, entry: Entry, cfg: ServiceConfig, ctx: BuildContext) -> ProcessService:
        fdef = ctx.get(cfg.process, FunctionDef)
        host = ctx.get(cfg.host, ProcessHost)
        return ProcessService(entry.id, fdef, host, list(cfg.input), ctx,
                              cfg.lifecycle.stop_timeout)


KINDS = [ProcessKind(), HostKind(), ServiceKind()]
