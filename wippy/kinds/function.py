"""function.lua: a Lua function entry, compiled at load and called by endpoints,
consumers and other code (reference §2.10)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import spec
from ..registry.entry import Entry
from ..lua.call import FunctionDef
from .base import BuildContext, Kind

_checker = None


def lua_checker():
    """A shared, never-started engine used only for syntax checks."""
    global _checker
    if _checker is None:
        from ..lua.engine import LuaEngine
        _checker = LuaEngine({})
    return _checker


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
    source: str = spec(required=True, doc="Lua source text, usually file://name.lua")
    method: str = spec(required=True, doc="the exported function to call")
    modules: list[str] = spec(default_factory=list)
    imports: dict[str, Any] = spec(default_factory=dict)
    pool: Pool = spec(default_factory=Pool)
    limits: Limits = spec(default_factory=Limits)


def check_lua(entry: Entry, cfg: Any) -> list[str]:
    """Problems shared by function.lua and process.lua: modules, imports, syntax."""
    problems = []
    engine = lua_checker()
    for i, name in enumerate(cfg.modules or []):
        if ":" in name:
            problems.append(f"modules[{i}]: module cannot have a namespace ({name!r})")
        elif name not in engine.modules:
            from ..registry.config import suggest
            problems.append(f"modules[{i}]: unknown module {name!r}{suggest(name, engine.modules)}; "
                            f"available: {', '.join(sorted(engine.modules))}")
    if cfg.imports:
        problems.append("imports: library.lua imports are not supported yet; "
                        "inline the library code or declare a module")
    if isinstance(cfg.source, str):
        err = engine.check_source(cfg.source, entry.id)
        if err:
            problems.append(f"source: Lua syntax error: {err}")
    return problems


class FunctionKind(Kind):
    name = "function.lua"
    config = FunctionConfig
    summary = "A Lua function called by endpoints, consumers and processes."

    def validate(self, entry: Entry, cfg: FunctionConfig) -> list[str]:
        problems = check_lua(entry, cfg)
        if cfg.method is not None and not cfg.method.strip():
            problems.append("method: method is required")
        return problems

    def build(self, entry: Entry, cfg: FunctionConfig, ctx: BuildContext) -> FunctionDef:
        return ctx.lua.define(entry.id, cfg.source, cfg.method, cfg.modules,
                              budget=cfg.limits.timeout)


KINDS = [FunctionKind()]
