"""The registry of a running runtime: its entries, versions and changes (docs/modules/registry.md).

    live = LiveRegistry(entries, transition)      # version 0 = what was loaded
    version = await live.apply([Op(CREATE, entry), Op(DELETE, Entry(...))])

Every change, from the Lua `registry` module or from `wippy run --watch`, goes through
`apply`: the operations are checked against the current entries (a create of an
existing id, an update or delete of a missing one, an update that changes the kind),
then `transition(new_entries)` checks the whole new registry as `wippy check` does and
moves the running runtime to it (wippy/runtime_apply.py), and only then is the new
version recorded. A refused change raises and leaves entries and runtime as they were.

Versions are numbered from 0 (the loaded registry), each keeps the entries it had and
the operations that made it; `apply_version` moves the runtime to any recorded version
(the head moves there; the history is kept, as in Wippy).
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from ..errors import INVALID, NOT_FOUND, WippyError
from ..logs import fields
from .entry import Entry

log = logging.getLogger("wippy.registry")

CREATE, UPDATE, DELETE = "entry.create", "entry.update", "entry.delete"
OP_KINDS = (CREATE, UPDATE, DELETE)

LIVE_REGISTRY = "@registry"     # key of the runtime's LiveRegistry among its built objects
Transition = Callable[[list[Entry]], Awaitable[Any]]


@dataclass(frozen=True)
class Op:
    kind: str          # entry.create | entry.update | entry.delete
    entry: Entry       # for a delete only the id matters


@dataclass(frozen=True)
class Version:
    id: int
    parent: int | None               # the version it was made from
    entries: tuple[Entry, ...]       # the whole registry at this version
    ops: tuple[Op, ...] = ()

    def string(self) -> str:
        return f"v{self.id}"


def same(a: Entry, b: Entry) -> bool:
    """Entries with equal content (where they were written does not count)."""
    return a.kind == b.kind and a.meta == b.meta and a.data == b.data


def delta(old: list[Entry] | tuple[Entry, ...], new: list[Entry] | tuple[Entry, ...],
          kind_change: str = UPDATE) -> list[Op]:
    """Operations that turn `old` into `new`: deletes (in `old` order), then creates and
    updates (in `new` order). An entry whose kind changed is an update, as in Wippy's
    `build_delta`, or with kind_change=DELETE a delete plus a create (what a reload
    needs, since an update may not change the kind)."""
    before = {e.id: e for e in old}
    after = {e.id: e for e in new}
    ops = [Op(DELETE, e) for e in old if e.id not in after]
    recreate = []
    for entry in new:
        prev = before.get(entry.id)
        if prev is None:
            ops.append(Op(CREATE, entry))
        elif prev.kind != entry.kind and kind_change == DELETE:
            recreate.append(prev)
            ops.append(Op(CREATE, entry))
        elif not same(prev, entry):
            ops.append(Op(UPDATE, entry))
    return [Op(DELETE, e) for e in recreate] + ops


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def next_entries(entries: tuple[Entry, ...], ops: list[Op]) -> list[Entry]:
    """The entries after `ops`, in order (updated entries keep their place, created ones go
    last); raises WippyError(Invalid) naming the first operation that cannot apply."""
    if not ops:
        raise _invalid("no changes to apply")
    state = {e.id: e for e in entries}
    for n, op in enumerate(ops, 1):
        eid = op.entry.id
        current = state.get(eid)
        if op.kind == CREATE:
            if current is not None:
                raise _invalid(f"change {n} (create): entry {eid} already exists; "
                               "use update to change it")
            state[eid] = op.entry
        elif op.kind == UPDATE:
            if current is None:
                raise _invalid(f"change {n} (update): entry {eid} does not exist; "
                               "use create to add it")
            if current.kind != op.entry.kind:
                raise _invalid(f"change {n} (update): entry {eid} is a {current.kind}; an "
                               f"update cannot make it a {op.entry.kind} (delete it and "
                               "create it again)")
            state[eid] = op.entry
        elif op.kind == DELETE:
            if current is None:
                raise _invalid(f"change {n} (delete): entry {eid} does not exist")
            del state[eid]
        else:
            raise _invalid(f"change {n}: unknown operation {op.kind!r}; one of "
                           f"{', '.join(OP_KINDS)}")
    return list(state.values())


class LiveRegistry:
    """Entries by version, and the one way to change them (see the module docstring)."""

    def __init__(self, entries: list[Entry], transition: Transition | None = None):
        self._transition = transition
        self._versions: dict[int, Version] = {0: Version(0, None, tuple(entries))}
        self._children: dict[int, int] = {}       # version -> the last version made from it
        self._head = 0
        self._counter = 0
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------ reading
    @property
    def head(self) -> Version:
        return self._versions[self._head]

    def entries(self) -> tuple[Entry, ...]:
        return self._versions[self._head].entries

    def get(self, entry_id: str) -> Entry | None:
        for entry in self._versions[self._head].entries:
            if entry.id == entry_id:
                return entry
        return None

    def version(self, vid: Any) -> Version | None:
        return self._versions.get(vid) if isinstance(vid, int) else None

    def versions(self) -> list[Version]:
        return [self._versions[k] for k in sorted(self._versions)]

    def next_of(self, vid: int) -> int | None:
        return self._children.get(vid)

    # ------------------------------------------------------------ changing
    async def apply(self, ops: list[Op], source: str = "registry") -> Version:
        """Check `ops`, move the runtime to the result, record a new version."""
        async with self._lock:
            head = self.head
            entries = next_entries(head.entries, ops)
            await self._move(entries)
            self._counter += 1
            version = Version(self._counter, head.id, tuple(entries), tuple(ops))
            self._versions[version.id] = version
            self._children[head.id] = version.id
            self._head = version.id
            counts = {k: sum(1 for op in ops if op.kind == k) for k in OP_KINDS}
            log.info("registry changed", extra=fields(
                version=version.string(), source=source, created=counts[CREATE],
                updated=counts[UPDATE], deleted=counts[DELETE]))
            return version

    async def apply_version(self, vid: int) -> None:
        """Move the runtime to the entries of version `vid` (no new version is made)."""
        async with self._lock:
            target = self._versions.get(vid)
            if target is None:
                raise WippyError(f"version v{vid} not found", NOT_FOUND, retryable=False)
            if target.id == self._head:
                return
            await self._move(list(target.entries))
            self._head = target.id
            log.info("registry version applied", extra=fields(version=target.string()))

    async def _move(self, entries: list[Entry]) -> None:
        if self._transition is not None:
            await self._transition(entries)
