"""One invocation of a Lua function: its context, as module code sees it."""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable

from ..errors import WippyError

if TYPE_CHECKING:  # pragma: no cover
    from .worker import LuaWorker


@dataclass(frozen=True, eq=False)
class LibraryDef:
    """A `library.lua` entry: code that handlers `require` by an alias of their own.
    Compiled once per Lua state; its top level runs once per call that requires it,
    so no state outlives a call (docs/kinds/lua.md)."""
    entry_id: str
    source: str
    modules: tuple[str, ...]
    imports: tuple[tuple[str, "LibraryDef"], ...] = ()   # (alias, library), by alias


@dataclass(frozen=True)
class FunctionDef:
    """A Lua function entry ready to call: compiled once, called many times."""
    entry_id: str
    source: str
    method: str
    modules: tuple[str, ...]
    budget: float | None = None       # seconds per call; None = engine default
    inline: bool = True               # may run on the event loop (see LuaEngine)
    imports: tuple[tuple[str, LibraryDef], ...] = ()      # (alias, library), by alias


@dataclass
class CallResult:
    """What a Lua call produced, as plain Python data."""
    values: list[Any] = field(default_factory=list)
    error: WippyError | None = None
    raised: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def first(self) -> Any:
        return self.values[0] if self.values else None


class Call:
    """Per-invocation context handed to module host functions and async ops."""

    __slots__ = ("fdef", "objects", "http", "delivery", "state", "deadline",
                 "worker", "deferred", "co", "handle", "extras", "effects", "engine")

    def __init__(self, fdef: FunctionDef, objects: dict, deadline: float,
                 http: Any = None, delivery: Any = None, extras: dict | None = None):
        self.fdef = fdef
        self.objects = objects
        self.http = http
        self.delivery = delivery
        self.deadline = deadline
        self.state: dict[str, Any] = {}
        self.extras = extras or {}
        self.worker: LuaWorker | None = None
        self.deferred: list[Callable[[], Awaitable[None]]] = []   # cleanups; see defer()
        self.co = None       # lupa coroutine (touched only by the thread running its Lua state)
        self.handle = None   # the call's state handle inside Lua
        self.effects = False  # made a host call that changes something outside the call
        self.engine = None    # the LuaEngine running the call (funcs calls other entries)

    @property
    def entry_id(self) -> str:
        return self.fdef.entry_id

    @property
    def log(self) -> logging.Logger:
        """The logger named after the entry (looked up when used, not per call)."""
        return logging.getLogger(f"wippy.lua.{self.fdef.entry_id}")

    def from_lua(self, value: Any, replace_invalid: bool = False) -> Any:
        """Plain data; see Converter.from_lua for text that is not valid UTF-8."""
        return self.worker.converter.from_lua(value, replace_invalid=replace_invalid)

    def to_lua(self, value: Any) -> Any:
        return self.worker.converter.to_lua(value)

    def error(self, err: WippyError) -> Any:
        return self.worker.converter.to_lua(err)

    def defer(self, fn: Callable[[], Awaitable[None] | None]) -> None:
        """Run `fn()` on the event loop when the call ends (e.g. release handles).
        It may return None (done) or an awaitable (awaited then)."""
        self.deferred.append(fn)

    def run_deferred(self) -> Awaitable[None] | None:
        """Run the deferred cleanups; an awaitable for those that must wait, else None
        (the usual case: no coroutine, no await)."""
        waiting = []
        while self.deferred:
            fn = self.deferred.pop()
            try:
                pending = fn()
            except Exception:  # cleanup must never mask the call's outcome
                self.log.exception("cleanup after call failed")
                continue
            if pending is not None:
                waiting.append(pending)
        return self._await_all(waiting) if waiting else None

    async def _await_all(self, waiting: list) -> None:
        for pending in waiting:
            try:
                await pending
            except Exception:  # cleanup must never mask the call's outcome
                self.log.exception("cleanup after call failed")
