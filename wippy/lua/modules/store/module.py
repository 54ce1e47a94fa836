"""The `store` Lua module: key-value stores by entry id (docs/modules/store.md).

A memory store (`Store.sync`) is used right inside the host call, on whichever thread
runs the Lua step; a SQL store's operations are async ops awaited on the loop.
"""
from __future__ import annotations

import inspect
from importlib import resources
from typing import Any

from ....errors import INVALID, NOT_FOUND, WippyError
from ....registry.entry import qualify, split_id
from ....store import Store
from ..base import LuaModule

READS = frozenset(("get", "entry", "list", "has", "info"))
WRITES = frozenset(("set", "put", "delete"))


def _store(call: Any, store_id: str) -> Store:
    # A bare name means "in the calling entry's namespace", as for config references.
    target = store_id if ":" in store_id else qualify(store_id, split_id(call.entry_id)[0])
    store = call.objects.get(target)
    if not isinstance(store, Store):
        raise WippyError(f"store {store_id} not found", NOT_FOUND, retryable=False)
    return store


def acquire(call: Any, store_id: str) -> Any:
    if not store_id:
        raise WippyError("store ID is empty", INVALID, retryable=False)
    return _store(call, store_id).entry_id


def _now(allowed: frozenset) -> Any:
    def now(call: Any, store_id: str, method: str, *args: Any) -> Any:
        store = _store(call, store_id)
        if not store.sync:
            return False
        if method not in allowed:
            raise WippyError(f"unknown store method {method!r}", INVALID, retryable=False)
        result = getattr(store, method)(*[call.from_lua(a) for a in args])
        return True, call.to_lua(result)
    return now


def _op(allowed: frozenset) -> Any:
    async def op(call: Any, store_id: str, method: str, *args: Any) -> Any:
        if method not in allowed:
            raise WippyError(f"unknown store method {method!r}", INVALID, retryable=False)
        result = getattr(_store(call, store_id), method)(*args)
        return await result if inspect.isawaitable(result) else result
    return op


class StoreModule(LuaModule):
    name = "store"
    effects = ("write",)   # set, put and delete; reads change nothing
    lua = resources.files(__package__).joinpath("store.lua").read_text()

    def host_functions(self) -> dict[str, Any]:
        return {"acquire": acquire, "read_now": _now(READS), "write_now": _now(WRITES)}

    def async_ops(self) -> dict[str, Any]:
        return {"store.read": _op(READS), "store.write": _op(WRITES)}
