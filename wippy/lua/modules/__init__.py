"""MODULES: every Lua module by name, an explicit table (no import side effects)."""
from __future__ import annotations

from .base import LuaModule
from .base64.module import Base64Module
from .channel.module import ChannelModule
from .env.module import EnvModule
from .crypto.module import CryptoModule
from .ctx.module import CtxModule
from .funcs.module import FuncsModule
from .store.module import StoreModule
from .errors.module import ErrorsModule
from .events.module import EventsModule
from .hash.module import HashModule
from .http.module import HttpModule
from .http_client.module import HttpClientModule
from .io.module import IoModule
from .json.module import JsonModule
from .logger.module import LoggerModule
from .metrics.module import MetricsModule
from .process.module import ProcessModule
from .time.module import TimeModule
from .uuid.module import UuidModule
from .yaml.module import YamlModule
from .queue.module import QueueModule
from .registry.module import RegistryModule
from .sql.module import SqlModule
from .system.module import SystemModule
from .test.module import TestModule

MODULES: dict[str, LuaModule] = {
    "env": EnvModule(),
    "errors": ErrorsModule(),
    "http": HttpModule(),
    "json": JsonModule(),
    "logger": LoggerModule(),
    "metrics": MetricsModule(),
    "time": TimeModule(),
    "uuid": UuidModule(),
    "queue": QueueModule(),
    "sql": SqlModule(),
    "base64": Base64Module(),
    "hash": HashModule(),
    "crypto": CryptoModule(),
    "yaml": YamlModule(),
    "http_client": HttpClientModule(),
    "io": IoModule(),
    "funcs": FuncsModule(),
    "ctx": CtxModule(),
    "store": StoreModule(),
    "registry": RegistryModule(),
    # channel before process: the process module builds on the channel scheduler.
    "channel": ChannelModule(),
    "process": ProcessModule(),
    "events": EventsModule(),   # after channel: subscriptions are fed like process topics
    "system": SystemModule(),
    "test": TestModule(),
}
