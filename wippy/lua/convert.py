"""Plain data <-> Lua values, with depth and size caps.

Only plain data crosses the bridge (docs/decisions.md: D10): Lua tables
become dicts/lists, Python dicts/lists become fresh Lua tables. Functions,
userdata and coroutines become None. Tables are read with raw access
(`items()`), so metamethod traps in returned values never run in Python.
"""
from __future__ import annotations

from typing import Any

import lupa.lua54 as lupa

from ..errors import WippyError

MAX_DEPTH = 128
MAX_ITEMS = 1_000_000

_SCALARS = (str, int, float, bool, type(None), bytes)
_SCALAR_TYPES = frozenset(_SCALARS)   # exact types: one set lookup instead of isinstance
_SEQUENCES = [list(range(1, n + 1)) for n in range(65)]   # [1..n] for small n


INVALID_TEXT = "text is not valid UTF-8 (binary data must be encoded first, e.g. as hex)"
CHANNEL_TEXT = ("a channel cannot leave its call (channels belong to one call; "
                "send messages instead)")


class ConversionError(ValueError):
    pass


class Converter:
    """Bound to one Lua state (one worker thread); not thread-safe."""

    def __init__(self, runtime: lupa.LuaRuntime, api: Any):
        self._rt = runtime
        self._table = runtime.table
        self._table_type = type(runtime.table())
        self._table_from = runtime.table_from
        self._objects = api.objects        # weak set of tables marked as JSON objects
        self._errdata = api.errdata        # error object -> {kind, message, retryable}
        self._mark_object = api.mark_object
        self._is_channel = api.is_channel      # channels cross as nothing: refused
        self._make_error = api.make_error
        self._valid_value = api.valid_value    # copy with U+FFFD for invalid UTF-8

    # ------------------------------------------------------------ Lua -> Python
    def from_lua(self, value: Any, max_depth: int = MAX_DEPTH,
                 replace_invalid: bool = False) -> Any:
        """Plain data from a Lua value. A string that is not valid UTF-8 raises
        ConversionError, or with `replace_invalid` has its invalid bytes turned into
        U+FFFD (what Go's JSON encoder does; for JSON, logs and results)."""
        if type(value) in _SCALAR_TYPES or isinstance(value, _SCALARS):
            return value
        try:
            return self._from(value, max_depth, [MAX_ITEMS])
        except UnicodeDecodeError:
            if not replace_invalid:
                raise ConversionError(INVALID_TEXT) from None
        return self._from(self._valid_value(value), max_depth, [MAX_ITEMS])

    def _from(self, value: Any, depth: int, budget: list) -> Any:
        # Scalars are handled inline by the caller loops below; this is a table or
        # another Lua object (functions, userdata and threads do not cross).
        if type(value) is not self._table_type:
            return value if isinstance(value, _SCALARS) else None
        if depth <= 0:
            raise ConversionError("table is nested too deeply (or contains a cycle)")
        items = list(value.items())
        n = len(items)
        budget[0] -= n
        if budget[0] < 0:
            raise ConversionError(f"table is too large (more than {MAX_ITEMS} values)")
        if not n:
            info = self._errdata[value]
            if info is not None:
                return WippyError(str(info["message"] or ""), info["kind"] or "Unknown",
                                  info["retryable"])
            if self._objects[value]:
                return {}
            if self._is_channel(value):   # it would arrive as a dead empty table
                raise ConversionError(CHANNEL_TEXT)
            return []
        scalars = _SCALAR_TYPES
        if type(items[0][0]) is int:
            keys = [k for k, _ in items]
            # Lua walks a sequence's array part in order: usually one C-level compare.
            if (keys == _SEQUENCES[n] if n < len(_SEQUENCES) else False) or (
                    all(type(k) is int for k in keys) and min(keys) == 1 and max(keys) == n):
                out = [None] * n
                for k, v in items:
                    out[k - 1] = v if type(v) in scalars else self._from(v, depth - 1, budget)
                return out
        out = {}
        for k, v in items:
            if type(v) not in scalars:
                v = self._from(v, depth - 1, budget)
                if v is None:   # functions/userdata vanish, as nil would
                    continue
            out[k] = v
        return out

    # ------------------------------------------------------------ Python -> Lua
    def to_lua(self, value: Any) -> Any:
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, WippyError):
            return self._error(value)
        return self._to(value, MAX_DEPTH)

    def _to(self, value: Any, depth: int) -> Any:
        if type(value) in _SCALAR_TYPES or isinstance(value, _SCALARS):
            return value
        if depth <= 0:
            raise ConversionError("value is nested too deeply")
        scalars = _SCALAR_TYPES
        if isinstance(value, dict):
            if not value:
                t = self._table()
                self._mark_object(t)
                return t
            for v in value.values():
                if v is None or type(v) not in scalars:
                    break
            else:   # flat: lupa builds the table in one call
                return self._table_from(value)
            # Nested: convert the values first, then still one table_from (a Lua
            # table value crosses as itself), not one setitem crossing per key.
            return self._table_from({k: v if type(v) in scalars else self._to(v, depth - 1)
                                     for k, v in value.items() if v is not None})
        if isinstance(value, (list, tuple)):
            for v in value:
                if type(v) not in scalars:
                    break
            else:   # scalars only (None leaves a hole, as nil does)
                return self._table_from(value)
            return self._table_from([v if type(v) in scalars else self._to(v, depth - 1)
                                     for v in value])
        if isinstance(value, WippyError):
            return self._error(value)
        raise ConversionError(f"cannot pass a {type(value).__name__} to Lua")

    def _error(self, err: WippyError) -> Any:
        details = self._to(err.details, MAX_DEPTH) if err.details else None
        return self._make_error(err.kind, err.message, err.retryable, details)
