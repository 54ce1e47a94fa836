"""MODULES: every Lua module by name, an explicit table (no import side effects)."""
from __future__ import annotations

from .base import LuaModule
from .errors import ErrorsModule
from .http import HttpModule
from .json import JsonModule
from .logger import LoggerModule
from .time import TimeModule
from .uuid import UuidModule
from .queue import QueueModule
from .sql import SqlModule

MODULES: dict[str, LuaModule] = {
    "errors": ErrorsModule(),
    "http": HttpModule(),
    "json": JsonModule(),
    "logger": LoggerModule(),
    "time": TimeModule(),
    "uuid": UuidModule(),
    "queue": QueueModule(),
    "sql": SqlModule(),
}
