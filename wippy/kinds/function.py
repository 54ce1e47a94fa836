"""function.lua and library.lua: Lua function entries, compiled at load and called by
endpoints, consumers and other code, and the libraries they import (docs/kinds/lua.md)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import spec
from ..registry.entry import Entry
from ..lua.call import FunctionDef, LibraryDef
from .base import BuildContext, Kind

@dataclass
class Limits:
    """Per-call limits of a Lua entry (Wippy style `limits:` block)."""
    timeout: float = spec(5.0, duration=True, min=0.001,
                          doc="wall-clock budget of one call, including waits")


@dataclass
class Pool:
    """Accepted for compatibility with Wippy; Lua states are pooled engine-wide."""
    type: str = spec("lazy", choices=("lazy", "static", "inline", "adaptive"))
    max_size: int = spec(100, min=1)
    workers: int = spec(1, min=1)
    size: int = spec(1, min=1)
    buffer: int = spec(0, min=0)


@dataclass
class FunctionConfig:
    source: str = spec(required=True, opaque=True, doc="Lua source text, usually file://name.lua")
    method: str = spec(required=True, doc="the exported function to call")
    modules: list[str] = spec(default_factory=list)
    imports: dict[str, Any] = spec(default_factory=dict, ref="library.lua",
                                   doc="alias -> library.lua entry, for require(alias)")
    pool: Pool = spec(default_factory=Pool)
    limits: Limits = spec(default_factory=Limits)


def check_lua(entry: Entry, cfg: Any) -> list[tuple[str, str]]:
    """Problems shared by function.lua and process.lua that need no Lua engine. The Lua
    syntax and the module names are checked once, by the plan, with the runtime's engine
    and modules (wippy/registry/plan.py)."""
    problems = []
    for i, name in enumerate(cfg.modules or []):
        if ":" in name:
            problems.append((f"modules[{i}]", f"module cannot have a namespace ({name!r})"))
    modules = set(cfg.modules or [])
    for alias, target in (cfg.imports or {}).items():
        if not isinstance(target, str) or not target.strip():
            problems.append((f"imports.{alias}", "must be a library.lua entry id "
                             f"(namespace:name), got {target!r}"))
        elif alias in modules or alias in RESERVED_ALIASES:
            problems.append((f"imports.{alias}", f"alias {alias!r} would hide the "
                             f"{'module' if alias in modules else 'global'} of that name; "
                             "pick another alias"))
    return problems


# Globals every Lua environment has: an import alias may not hide them.
RESERVED_ALIASES = frozenset((
    "errors", "require", "_G", "_VERSION", "string", "table", "math", "utf8", "coroutine",
    "os", "print", "pairs", "ipairs", "next", "type", "tostring", "tonumber", "error",
    "assert", "pcall", "xpcall", "select", "rawget", "rawset", "rawequal", "rawlen",
    "setmetatable", "getmetatable", "unpack"))


def library_imports(cfg: Any, ctx: BuildContext) -> dict[str, LibraryDef]:
    """alias -> built library; the graph built every imported library first."""
    return {alias: ctx.get(target, LibraryDef) for alias, target in (cfg.imports or {}).items()}


class FunctionKind(Kind):
    name = "function.lua"
    config = FunctionConfig
    summary = "A Lua function called by endpoints, consumers and processes."

    def validate(self, entry: Entry, cfg: FunctionConfig) -> list[tuple[str, str]]:
        problems = check_lua(entry, cfg)
        if cfg.method is not None and not cfg.method.strip():
            problems.append(("method", "method is required"))
        return problems

    def build(self, entry: Entry, cfg: FunctionConfig, ctx: BuildContext) -> FunctionDef:
        return ctx.lua.define(entry.id, cfg.source, cfg.method, cfg.modules,
                              budget=cfg.limits.timeout, imports=library_imports(cfg, ctx),
                              source_file=entry.source_files.get("data.source"))


@dataclass
class LibraryConfig:
    source: str = spec(required=True, opaque=True, doc="Lua source text, usually file://name.lua")
    modules: list[str] = spec(default_factory=list)
    imports: dict[str, Any] = spec(default_factory=dict, ref="library.lua",
                                   doc="alias -> library.lua entry, for require(alias)")


class LibraryKind(Kind):
    name = "library.lua"
    config = LibraryConfig
    summary = "Lua code shared by other Lua entries through imports: and require(alias)."

    def validate(self, entry: Entry, cfg: LibraryConfig) -> list[tuple[str, str]]:
        return check_lua(entry, cfg)

    def build(self, entry: Entry, cfg: LibraryConfig, ctx: BuildContext) -> LibraryDef:
        return ctx.lua.library(entry.id, cfg.source, cfg.modules, library_imports(cfg, ctx),
                               source_file=entry.source_files.get("data.source"))


KINDS = [FunctionKind(), LibraryKind()]
