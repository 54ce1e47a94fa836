"""function.lua: a Lua function entry, compiled at load and called by endpoints,
consumers and other code."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import spec
from ..registry.entry import Entry
from ..lua.call import FunctionDef
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
    imports: dict[str, Any] = spec(default_factory=dict)
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
    if cfg.imports:
        problems.append(("imports", "library.lua imports are not supported yet; "
                         "inline the library code or declare a module"))
    return problems


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
                              budget=cfg.limits.timeout)


KINDS = [FunctionKind()]
