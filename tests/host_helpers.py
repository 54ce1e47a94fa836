"""Small kinds and helpers for the host-side tests (loader, graph, supervisor, runtime, CLI).

The kinds are real Kind subclasses driven by real files and the real runtime;
their services record what happens to them in a journal (a list, or a file
when the runtime runs in a subprocess).
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from tests.polling import wait_until as until  # noqa: F401 - imported from here by tests
from wippy.registry.config import Lifecycle, spec
from wippy.kinds import RegistryEntryKind
from wippy.kinds.base import BuildContext, Kind

JOURNAL: list[str] = []   # in-process journal; tests clear it


def record(event: str, path: str = "") -> None:
    JOURNAL.append(event)
    if path:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(event + "\n")


@dataclass
class ServiceConfig:
    needs: list[str] = spec(default_factory=list, ref=True)
    fail_starts: int = spec(0, min=0, doc="start() raises this many times first")
    mode: str = spec("serve", choices=("serve", "exit", "crash"))
    stop_delay: float = spec(0.0, duration=True, min=0)
    journal: str = ""
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class RecordingService:
    """A Service that records start/stop; `mode` decides how wait() ends."""

    def __init__(self, name: str, cfg: ServiceConfig):
        self.name, self.cfg = name, cfg
        self.fail_left = cfg.fail_starts
        self._done: asyncio.Event | None = None

    async def start(self) -> None:
        record(f"start {self.name}", self.cfg.journal)
        if self.fail_left:
            self.fail_left -= 1
            raise RuntimeError(f"{self.name} refuses to start")
        self._done = asyncio.Event()
        record(f"started {self.name}", self.cfg.journal)

    async def wait(self) -> None:
        if self.cfg.mode == "exit":
            return
        if self.cfg.mode == "crash":
            raise RuntimeError(f"{self.name} crashed")
        await self._done.wait()

    async def stop(self) -> None:
        if self.cfg.stop_delay:
            await asyncio.sleep(self.cfg.stop_delay)
        record(f"stop {self.name}", self.cfg.journal)


class ServiceKind(Kind):
    name = "test.service"
    config = ServiceConfig

    def build(self, entry, cfg, ctx: BuildContext):
        record(f"build {entry.id}", cfg.journal)
        return RecordingService(entry.id, cfg)


@dataclass
class ResourceConfig:
    needs: list[str] = spec(default_factory=list, ref=True)
    service: str = spec(None, ref="test.service")
    size: int = spec(2, min=1, max=10)
    timeout: float = spec(1.0, duration=True, min=0)
    fail_build: bool = False


class ResourceKind(Kind):
    """Not a service: something services depend on (like a queue.queue)."""
    name = "test.resource"
    config = ResourceConfig

    def validate(self, entry, cfg):
        return [("size", "must be even")] if cfg.size % 2 else []

    def build(self, entry, cfg, ctx):
        if cfg.fail_build:
            raise OSError(f"cannot open {entry.id}")
        record(f"build {entry.id}")
        return {"id": entry.id, "size": cfg.size}


@dataclass
class LuaConfig:
    source: str = spec(required=True)
    method: str = spec(required=True)
    modules: list[str] = spec(default_factory=list)


class LuaKind(Kind):
    """Defines a Lua function on the real engine (like function.lua)."""
    name = "test.lua"
    config = LuaConfig

    def build(self, entry, cfg, ctx):
        return ctx.lua.define(entry.id, cfg.source, cfg.method, cfg.modules)


def make_kinds() -> dict[str, Kind]:
    kinds = [ServiceKind(), ResourceKind(), LuaKind(), RegistryEntryKind()]
    return {k.name: k for k in kinds}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
