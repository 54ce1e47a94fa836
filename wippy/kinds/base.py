"""The contract every entry kind follows.

A kind is config + constructor + small lifecycle; only the supervisor retries.

    class SQLiteKind(Kind):
        name = "db.sql.sqlite"
        config = SQLiteConfig          # dataclass decoded by wippy.config (strict)
        def build(self, entry, cfg, ctx):   # called in dependency order, before start
            return Database(...)            # a resource and/or a Service

What `build` returns is registered in `ctx.objects[entry.id]`, so later kinds
and Lua modules can look it up (`sql.get("app:db")` finds the Database).
If it is a `Service` and the config has a `lifecycle` field, the supervisor
owns its start/stop.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

from ..registry.entry import Entry

if TYPE_CHECKING:  # pragma: no cover
    from ..lua.engine import LuaEngine


@runtime_checkable
class Service(Protocol):
    """Something the supervisor starts and stops.

    `start()` returns once the service is running (raise on failure: the
    supervisor retries by the entry's restart policy). `stop()` must finish
    within the entry's `stop_timeout` and be safe to call after a failed start.

    A service that can end by itself (a process) also has `wait()`:
    it returns when the service finished successfully (never restarted) and
    raises when it failed (restarted with backoff). One that may run once and
    finish (a migration) also sets `run_once = True`: the services that depend
    on it then start only after it finished successfully or kept running for
    its `stable_threshold` (wippy/supervisor.py).
    """

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


@dataclass
class BuildContext:
    """What a kind's `build` can use."""
    objects: dict[str, Any]              # entry id -> built object, in dependency order
    entries: dict[str, Entry]            # every loaded entry by id
    lua: "LuaEngine"
    loop: asyncio.AbstractEventLoop | None = None
    settings: dict[str, Any] = field(default_factory=dict)  # runtime-wide settings

    def get(self, entry_id: str, cls: type | None = None) -> Any:
        """The built object of a referenced entry (the graph guarantees order)."""
        obj = self.objects.get(entry_id)
        if obj is None:
            raise LookupError(f"{entry_id} not found")
        if cls is not None and not isinstance(obj, cls):
            raise LookupError(f"{entry_id} is not a {cls.__name__}")
        return obj

    def logger(self, entry_id: str) -> logging.Logger:
        return logging.getLogger(f"wippy.{entry_id}")


class Kind:
    """Base of every kind. Subclasses set `name` and `config`, and implement `build`."""
    name: ClassVar[str]
    config: ClassVar[type]
    # One line on what the kind is, for readers of the code (nothing prints it).
    summary: ClassVar[str] = ""

    def validate(self, entry: Entry, cfg: Any) -> list[tuple[str, str]]:
        """Checks beyond field types, as (field, message) pairs; field is the data field's
        path ("tls.mode", "modules[2]") or "meta.x" for a meta field, or None for the entry
        as a whole. Optional."""
        return []

    def build(self, entry: Entry, cfg: Any, ctx: BuildContext) -> Any:
        raise NotImplementedError
