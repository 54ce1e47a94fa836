"""KINDS: every entry kind by name, merged explicitly from the family modules.

Each family module exposes `KINDS: list[Kind]`. Nothing registers itself on
import; this table is the one place that says which kinds exist.

    from wippy.kinds import all_kinds
    kinds = all_kinds()          # {"db.sql.sqlite": SQLiteKind(), ...}

`KINDS` (module attribute) is the same table, computed on first access.
"""
from __future__ import annotations

import importlib
from typing import Any

from ..entry import Entry
from .base import BuildContext, Kind

# The family modules, in the order their kinds are merged.
FAMILIES = ("sql", "queue", "consumer", "http", "function", "process")


class RegistryEntryKind(Kind):
    """`registry.entry`: arbitrary data stored without a listener (no config, no object)."""
    name = "registry.entry"
    config = None  # type: ignore[assignment]  # no decoding: the data is stored as written
    summary = "arbitrary data, stored as written"

    def build(self, entry: Entry, cfg: Any, ctx: BuildContext) -> Any:
        return entry.data


# Kinds that belong to no family module.
CORE_KINDS: tuple[Kind, ...] = (RegistryEntryKind(),)


def merge(*groups: list[Kind] | tuple[Kind, ...]) -> dict[str, Kind]:
    """Merge kind lists into one table; two kinds with one name is a programming error."""
    table: dict[str, Kind] = {}
    for group in groups:
        for kind in group:
            if kind.name in table:
                raise ValueError(f"kind {kind.name} is defined twice "
                                 f"({type(table[kind.name]).__name__} and {type(kind).__name__})")
            table[kind.name] = kind
    return table


def all_kinds() -> dict[str, Kind]:
    """The full table: core kinds plus every family's KINDS."""
    groups: list[Any] = [CORE_KINDS]
    for family in FAMILIES:
        module_name = f"{__name__}.{family}"
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            if exc.name != module_name:
                raise  # the family exists but one of its imports is broken: show that
            raise ImportError(f"kind family {module_name} is missing; the runtime needs "
                              f"{', '.join(f'{__name__}.{f}' for f in FAMILIES)}",
                              name=module_name) from exc
        groups.append(module.KINDS)
    return merge(*groups)


_table: dict[str, Kind] | None = None


def __getattr__(name: str) -> Any:
    # `from wippy.kinds import KINDS` builds the table once, on demand.
    global _table
    if name == "KINDS":
        if _table is None:
            _table = all_kinds()
        return _table
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
