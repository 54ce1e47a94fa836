"""MODULES: every Lua module by name, an explicit table (no import side effects)."""
from __future__ import annotations

from .base import LuaModule

MODULES: dict[str, LuaModule] = {}
