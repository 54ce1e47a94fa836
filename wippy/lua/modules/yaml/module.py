"""The `yaml` Lua module: `encode(table, options?)` and `decode(string)` (see codec.py)."""
from __future__ import annotations

from typing import Any

import lupa.lua54 as lupa

from ....errors import INTERNAL, INVALID, WippyError
from ...convert import ConversionError
from ..base import LuaModule
from ..binary import ensure_room
from . import codec


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _options(call: Any, options: Any) -> tuple:
    if options is None:
        return ()
    if lupa.lua_type(options) != "table":
        raise _invalid("options must be a table")
    plain = call.from_lua(options)
    order = plain.get("field_order", []) if isinstance(plain, dict) else []
    if not isinstance(order, list) or not all(isinstance(k, str) for k in order):
        raise _invalid("options.field_order must be a list of strings")
    # Keys not in field_order are written sorted either way (a stable order; Go's
    # encoder sorts map keys too), so `sort_unordered` needs no separate path.
    return tuple(order)


class YamlModule(LuaModule):
    name = "yaml"
    effects = ()  # pure: re-running it changes nothing
    lua = """
    return function(host, lib)
        return {encode = host.encode, decode = host.decode}
    end
    """

    def host_functions(self):
        def encode(call, data=None, options=None, *_):
            if lupa.lua_type(data) != "table":
                raise _invalid("input must be a table")
            order = _options(call, options)
            try:
                plain = call.from_lua(data, replace_invalid=True)
            except ConversionError as exc:
                raise _invalid(str(exc)) from None
            try:
                text = codec.encode(plain, order, call.deadline)
            except (ValueError, RecursionError) as exc:     # codec.YamlError too
                raise WippyError(f"yaml encode failed: {exc}", INTERNAL, retryable=False) from None
            ensure_room(call, len(text))
            return text

        def decode(call, text=None, *_):
            if not isinstance(text, str):
                raise _invalid("input must be a string")
            if not text:
                raise _invalid("empty string is not valid YAML")
            try:
                value = codec.decode(text, call.deadline)
            except codec.YamlError as exc:
                raise WippyError(f"yaml decode failed: {exc}", INTERNAL, retryable=False) from None
            try:
                return call.to_lua(value)
            except ConversionError as exc:
                raise WippyError(f"yaml decode failed: {exc}", INTERNAL, retryable=False) from None

        return {"encode": encode, "decode": decode}
