"""KINDS: every entry kind by name, merged explicitly from the family modules.

Each family module exposes `KINDS: list[Kind]`. Nothing registers itself on
import; this table is the one place that says which kinds exist.

    from wippy.kinds import all_kinds
    kinds = all_kinds()          # {"db.sql.sqlite": SQLiteKind(), ...}
"""
from __future__ import annotations

from typing import Any

from ..registry.entry import Entry
from .base import BuildContext, Kind

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
    """The full table: core kinds plus every family's KINDS, in this order."""
    # Imported here, not at the top: the families import .base, which loads this package first.
    from . import consumer, env, function, http, postgres, process, queue, sql, store, terminal
    return merge(CORE_KINDS, sql.KINDS, postgres.KINDS, queue.KINDS, consumer.KINDS, http.KINDS,
                 function.KINDS, process.KINDS, env.KINDS, store.KINDS, terminal.KINDS)
