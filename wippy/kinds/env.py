"""Env kinds (docs/kinds/env.md): `env.storage.memory|file|os|static|router`, `env.variable`.

    - {name: os_env, kind: env.storage.os}
    - {name: db_password, kind: env.variable, variable: DB_PASSWORD, storage: os_env}

The storages and variables are gathered into one EnvRegistry before any other
entry is decoded (`registry_from`), because `${env:NAME}` placeholders in
other entries are resolved at decode time. Env entries themselves are not
placeholder-resolved. `build` hands out the registry's objects, and creates
an `auto_create` file.
"""
from __future__ import annotations

import logging

from dataclasses import dataclass
from typing import Any

from ..env import (EnvRegistry, FileStorage, MemoryStorage, OSStorage, RouterStorage,
                   StaticStorage, Variable)
from ..env.registry import NAME_RE
from ..registry.config import spec
from ..registry.entry import Entry
from .base import BuildContext, Kind

PREFIX = "env."
# Where the runtime puts the EnvRegistry in BuildContext.objects / call.objects.
# Not an entry id: entry ids always have a colon.
REGISTRY_KEY = "@env"
STORAGE_REF = "env.storage."


@dataclass
class EmptyConfig:
    pass


@dataclass
class FileConfig:
    file_path: str = spec(required=True, doc="path to the .env file")
    auto_create: bool = False
    # Octal permissions: `0600` in YAML (read as text) or an integer such as 384.
    file_mode: Any = spec(0o644)
    dir_mode: Any = spec(0o755)


@dataclass
class StaticConfig:
    values: dict[str, Any] = spec(default_factory=dict)


@dataclass
class RouterConfig:
    storages: list[str] = spec(required=True, ref=STORAGE_REF)


@dataclass
class VariableConfig:
    storage: str = spec(required=True, ref=STORAGE_REF)
    variable: str = ""
    default: str = ""
    readonly: bool = False
    # Not a Wippy field: Wippy decodes entries leniently and drops it (its examples write
    # it). Accepted so those registries load; it protects nothing, which build() warns.
    read_only: bool | None = spec(None, doc="ignored as in Wippy; use readonly")


def file_mode(value: Any) -> int | None:
    """0o600 from 384, "0600", "600" or "0o600"; None when it is not a mode."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value <= 0o7777 else None
    text = str(value).strip().lower().removeprefix("0o")
    try:
        mode = int(text, 8)
    except ValueError:
        return None
    return mode if 0 <= mode <= 0o7777 else None


class _EnvKind(Kind):
    def build(self, entry: Entry, cfg: Any, ctx: BuildContext) -> Any:
        return ctx.get(REGISTRY_KEY, EnvRegistry).storage(entry.id)


class MemoryKind(_EnvKind):
    name = "env.storage.memory"
    config = EmptyConfig
    summary = "in-memory env storage (empty at every start)"


class OSKind(_EnvKind):
    name = "env.storage.os"
    config = EmptyConfig
    summary = "the process environment, read-only"


class StaticKind(_EnvKind):
    name = "env.storage.static"
    config = StaticConfig
    summary = "values written in the entry, read-only"

    def validate(self, entry: Entry, cfg: StaticConfig) -> list[tuple[str, str]]:
        return [(f"values.{k}", "must be a string, number or boolean, got a "
                 f"{'mapping' if isinstance(v, dict) else 'list'}")
                for k, v in cfg.values.items() if isinstance(v, (dict, list))]


class FileKind(_EnvKind):
    name = "env.storage.file"
    config = FileConfig
    summary = "KEY=VALUE lines in a file"

    def validate(self, entry: Entry, cfg: FileConfig) -> list[tuple[str, str]]:
        return [(name, f"must be an octal file mode such as 0600, got {getattr(cfg, name)!r}")
                for name in ("file_mode", "dir_mode") if file_mode(getattr(cfg, name)) is None]

    def build(self, entry: Entry, cfg: FileConfig, ctx: BuildContext) -> Any:
        storage = super().build(entry, cfg, ctx)
        if cfg.auto_create:
            storage.ensure()
        return storage


class RouterKind(_EnvKind):
    name = "env.storage.router"
    config = RouterConfig
    summary = "reads through several storages in order, writes to the first"

    def validate(self, entry: Entry, cfg: RouterConfig) -> list[tuple[str, str]]:
        return [] if cfg.storages else [("storages", "list at least one storage")]


class VariableKind(Kind):
    name = "env.variable"
    config = VariableConfig
    summary = "a named value in an env storage, with a default"

    def validate(self, entry: Entry, cfg: VariableConfig) -> list[tuple[str, str]]:
        if cfg.variable and not NAME_RE.match(cfg.variable):
            return [("variable", f"{cfg.variable!r} may contain only letters, digits and _")]
        return []

    def build(self, entry: Entry, cfg: VariableConfig, ctx: BuildContext) -> Any:
        return ctx.get(REGISTRY_KEY, EnvRegistry).variables[entry.id]


def _storage(entry: Entry, cfg: Any, registry: EnvRegistry) -> Any:
    if entry.kind == MemoryKind.name:
        return MemoryStorage()
    if entry.kind == OSKind.name:
        return OSStorage(entry.id)
    if entry.kind == StaticKind.name:
        return StaticStorage(cfg.values, entry.id)
    if entry.kind == FileKind.name:
        return FileStorage(cfg.file_path, cfg.auto_create, file_mode(cfg.file_mode) or 0o644,
                           file_mode(cfg.dir_mode) or 0o755)
    return RouterStorage(cfg.storages, registry.storage)


def registry_from(entries: list[Entry], configs: dict[str, Any]) -> EnvRegistry:
    """One EnvRegistry of the decoded env entries, in load order (first public name wins)."""
    registry = EnvRegistry()
    for entry in entries:
        cfg = configs.get(entry.id)
        if cfg is None or not entry.kind.startswith(PREFIX):
            continue
        if entry.kind == VariableKind.name:
            if cfg.read_only is not None:
                logging.getLogger("wippy.env").warning(
                    "%s: read_only is not an env.variable field and is ignored, as in Wippy "
                    "(%s); to refuse env.set, write readonly: true", entry.id,
                    "writes are allowed" if not cfg.readonly else "readonly is set")
            registry.add_variable(Variable(entry.id, cfg.storage, cfg.variable, cfg.default,
                                           cfg.readonly))
        else:
            registry.add_storage(entry.id, _storage(entry, cfg, registry))
    return registry


KINDS = [MemoryKind(), FileKind(), OSKind(), StaticKind(), RouterKind(), VariableKind()]
