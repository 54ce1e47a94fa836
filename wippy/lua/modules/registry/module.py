"""The `registry` Lua module: read entries, snapshots and versions; change the running
registry (docs/modules/registry.md).

Reads answer from the runtime's LiveRegistry right inside the host call (its versions are
immutable tuples of entries). `changes:apply()` and `registry.apply_version()` are async
ops: the change is checked as `wippy check` checks a registry and applied to the running
runtime (wippy/runtime_apply.py), shielded from the caller's deadline so that a change
never stops half-way.
"""
from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

from ....errors import INTERNAL, INVALID, NOT_FOUND, ConfigErrors, Origin, WippyError
from ....registry.entry import Entry, split_id
from ....registry.finder import compile_filter
from ....registry.live import DELETE, LIVE_REGISTRY, OP_KINDS, LiveRegistry, Op, delta
from ..base import LuaModule, LuaRaise

ORIGIN = Origin("<registry change>")    # where entries made by changes:apply() come from
# A change must not stop half-way when its caller gives up: it runs as a task of its own.
_applying: set[asyncio.Task] = set()


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _live(call: Any) -> LiveRegistry:
    live = call.objects.get(LIVE_REGISTRY)
    if not isinstance(live, LiveRegistry):
        raise WippyError("registry not available (no running runtime)", INTERNAL,
                         retryable=False)
    return live


def _version(live: LiveRegistry, vid: Any) -> Any:
    version = live.version(vid)
    if version is None:
        raise WippyError(f"version not found: {vid}", NOT_FOUND, retryable=False)
    return version


def plain(entry: Entry) -> dict:
    return {"id": entry.id, "kind": entry.kind, "meta": entry.meta or {}, "data": entry.data}


def _table(value: Any) -> Any:
    """An empty Lua table arrives as []: for meta and data it means an empty map."""
    return {} if value == [] else value


def parse_id(value: Any) -> str:
    """`"ns:name"` or `{ns = ..., name = ...}` -> "ns:name"."""
    if isinstance(value, dict):
        ns, name = value.get("ns"), value.get("name")
        if not isinstance(ns, str) or not isinstance(name, str):
            raise _invalid("id requires ns and name fields")
        value = f"{ns}:{name}"
    if not isinstance(value, str):
        raise _invalid("entry must have valid id field")
    ns, name = split_id(value)
    if not ns or not name:
        raise _invalid(f"entry id {value!r} must be namespace:name")
    return value


def normalize(entry: Any) -> dict:
    """A Lua entry table as {id, kind, meta, data}; Invalid when it cannot be one."""
    if not isinstance(entry, dict):
        raise _invalid("entry must be a table with id, kind, meta and data")
    eid = parse_id(entry.get("id"))
    kind = entry.get("kind")
    if not isinstance(kind, str) or not kind:
        raise _invalid("entry must have kind field")
    meta = _table(entry.get("meta"))
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise _invalid(f"entry {eid}: meta must be a table of fields")
    data = _table(entry.get("data"))
    return {"id": eid, "kind": kind, "meta": meta, "data": {} if data is None else data}


def to_entry(plain_entry: dict) -> Entry:
    ns, name = split_id(plain_entry["id"])
    return Entry(ns, name, plain_entry.get("kind") or "", dict(plain_entry.get("meta") or {}),
                 plain_entry.get("data"), ORIGIN)


def to_ops(raw: Any) -> list[Op]:
    ops = []
    for item in raw or []:
        if not isinstance(item, dict) or item.get("kind") not in OP_KINDS:
            raise _invalid("changes hold operations {kind, entry}; kind is one of "
                           + ", ".join(OP_KINDS))
        entry = item.get("entry") or {}
        if item["kind"] == DELETE:
            ops.append(Op(DELETE, to_entry({"id": parse_id(entry.get("id"))})))
        else:
            ops.append(Op(item["kind"], to_entry(normalize(entry))))
    return ops


def refused(errors: ConfigErrors) -> WippyError:
    problems = errors.errors
    lines = "; ".join(str(e) for e in problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return WippyError(f"changes refused, {len(problems)} problem(s): {lines}{more}", INVALID,
                      retryable=False, details={"problems": [str(e) for e in problems]})


async def _shielded(work: Any) -> Any:
    task = asyncio.ensure_future(work)
    _applying.add(task)
    task.add_done_callback(_applying.discard)
    try:
        return await asyncio.shield(task)
    except ConfigErrors as errors:
        raise refused(errors) from None


# ------------------------------------------------------------ host functions
def _entries(call: Any, entries: Any, wanted: Any = None) -> Any:
    match = compile_filter(call.from_lua(wanted)) if wanted is not None else None
    chosen = sorted((e for e in entries if match is None or match(e)), key=lambda e: e.id)
    return call.to_lua([plain(e) for e in chosen])


def _get(call: Any, entries: Any, entry_id: Any) -> Any:
    if not isinstance(entry_id, str):
        raise LuaRaise(f"bad argument #1 to 'get' (string expected, got {type(entry_id).__name__})")
    for entry in entries:
        if entry.id == entry_id:
            return call.to_lua(plain(entry))
    raise WippyError(f"entry not found: {entry_id}", NOT_FOUND, retryable=False)


def get(call: Any, entry_id: Any) -> Any:
    return _get(call, _live(call).entries(), entry_id)


def find(call: Any, criteria: Any) -> Any:
    return _entries(call, _live(call).entries(), criteria if criteria is not None else {})


def head(call: Any) -> int:
    return _live(call).head.id


def snap_entries(call: Any, vid: int) -> Any:
    return _entries(call, _version(_live(call), vid).entries)


def snap_get(call: Any, vid: int, entry_id: Any) -> Any:
    return _get(call, _version(_live(call), vid).entries, entry_id)


def snap_find(call: Any, vid: int, criteria: Any) -> Any:
    return _entries(call, _version(_live(call), vid).entries,
                    criteria if criteria is not None else {})


def snap_namespace(call: Any, vid: int, ns: Any) -> Any:
    if not isinstance(ns, str):
        raise LuaRaise("bad argument #1 to 'namespace' (string expected)")
    entries = [e for e in _version(_live(call), vid).entries if e.namespace == ns]
    return _entries(call, entries)


def neighbours(call: Any, vid: int) -> tuple:
    live = _live(call)
    return _version(live, vid).parent, live.next_of(vid)


def versions(call: Any) -> Any:
    return call.to_lua([v.id for v in _live(call).versions()])


def has_version(call: Any, vid: Any) -> bool:
    return _live(call).version(vid) is not None


def check_entry(call: Any, entry: Any) -> Any:
    return call.to_lua(normalize(call.from_lua(entry)))


def check_id(call: Any, value: Any) -> str:
    try:
        return parse_id(call.from_lua(value))
    except WippyError as exc:
        raise _invalid(f"invalid ID format: {exc.message}") from None


def build_delta(call: Any, old: Any, new: Any) -> Any:
    def entries(raw: Any, what: str) -> list[Entry]:
        raw = call.from_lua(raw)
        if not isinstance(raw, (list, dict)):
            raise _invalid(f"{what} must be a table of entries")
        items = raw if isinstance(raw, list) else list(raw.values())
        out = []
        for item in items:
            try:
                out.append(to_entry(normalize(item)))
            except WippyError:
                continue   # as in Wippy: an item that is not an entry is skipped
        return out
    ops = delta(entries(old, "from_entries"), entries(new, "to_entries"))
    return call.to_lua([{"kind": op.kind, "entry": plain(op.entry)} for op in ops])


# ------------------------------------------------------------ async ops
async def apply_op(call: Any, raw_ops: Any) -> int:
    live = _live(call)
    ops = to_ops(raw_ops)
    version = await _shielded(live.apply(ops, source=call.entry_id))
    return version.id


async def apply_version_op(call: Any, vid: Any) -> bool:
    live = _live(call)
    _version(live, vid)
    await _shielded(live.apply_version(vid))
    return True


class RegistryModule(LuaModule):
    name = "registry"
    effects = ("apply",)    # apply and apply_version change the running registry
    lua = resources.files(__package__).joinpath("registry.lua").read_text()

    def host_functions(self) -> dict[str, Any]:
        return {"get": get, "find": find, "head": head, "snap_entries": snap_entries,
                "snap_get": snap_get, "snap_find": snap_find, "snap_namespace": snap_namespace,
                "neighbours": neighbours, "versions": versions, "has_version": has_version,
                "check_entry": check_entry, "check_id": check_id, "build_delta": build_delta}

    def async_ops(self) -> dict[str, Any]:
        return {"registry.apply": apply_op, "registry.apply_version": apply_version_op}

