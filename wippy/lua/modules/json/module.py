"""The `json` Lua module: encode/decode with the Go runtime's rules (see wippy.jsonx)."""
from __future__ import annotations

from typing import Any

import lupa.lua54 as lupa

from . import codec as jsonx
from ....errors import INTERNAL, INVALID, WippyError
from .schema import SchemaError, Validator, compile_schema, summary
from ...convert import ConversionError
from ..base import LuaModule


def _invalid(message: str, details: dict | None = None) -> WippyError:
    return WippyError(message, INVALID, retryable=False, details=details)


def _validator(call: Any, schema: Any) -> Validator:
    if schema is None:
        raise _invalid("schema is required")
    if isinstance(schema, str):
        try:
            schema = jsonx.decode(schema)
        except ValueError as exc:
            raise _invalid(f"schema error: invalid JSON: {exc}") from None
    elif lupa.lua_type(schema) == "table":
        schema = call.from_lua(schema)
    else:
        raise _invalid("schema error: schema must be a string or table")
    try:
        return compile_schema(schema)
    except SchemaError as exc:
        raise _invalid(f"compile schema: {exc}") from None


def _outcome(call: Any, validator: Validator, data: Any, lua_data: bool) -> Any:
    try:
        errors = validator.errors(data, lua_data=lua_data)
    except (SchemaError, RecursionError) as exc:
        return False, call.error(_invalid(f"compile schema: {exc}"))
    if not errors:
        return True
    return False, call.error(_invalid(f"validation failed: {summary(errors)}", {"errors": errors}))


class JsonModule(LuaModule):
    name = "json"
    effects = ()  # pure: re-running it changes nothing
    lua = """
    return function(host, lib)
        local next, type = next, type
        local M = {}

        -- The converter refuses tables nested too deeply; tell a cycle from real depth.
        local function has_cycle(t, depth, path)
            if depth > 129 then return false end
            path[t] = true
            for _, v in next, t do
                if type(v) == "table" and (path[v] or has_cycle(v, depth + 1, path)) then
                    return true
                end
            end
            path[t] = nil
            return false
        end

        local json_text = lib.json_text

        function M.encode(value)
            if value == nil then return "null", nil end
            local text, err, too_deep = json_text(value)   -- common shapes, in Lua
            if text ~= nil then return text, nil end
            if type(value) == "string" then value = lib.valid_text(value) end
            text, err, too_deep = host.encode(value)
            if too_deep then
                local msg = has_cycle(value, 0, {})
                    and "cannot encode recursively nested tables to JSON"
                    or "exceeded maximum nesting depth for JSON encoding"
                return nil, lib.error("Internal", msg, false)
            end
            return text, err
        end

        M.decode = host.decode
        M.validate, M.validate_string = host.validate, host.validate_string
        return M
    end
    """

    def host_functions(self):
        def encode(call, value=None):
            try:   # Go's encoder writes U+FFFD for invalid UTF-8; so do we
                plain = call.from_lua(value, replace_invalid=True)
            except ConversionError as exc:
                if "too large" in str(exc):
                    raise WippyError(str(exc), INTERNAL, retryable=False) from None
                return None, None, True
            try:
                return jsonx.encode(plain)
            except ValueError as exc:
                raise WippyError(str(exc), INTERNAL, retryable=False) from None

        def decode(call, text=None, *_):
            if not isinstance(text, (str, bytes)):
                raise WippyError("string expected", INVALID, retryable=False)
            if not text:
                raise WippyError("empty string is not valid JSON", INVALID, retryable=False)
            try:
                value = jsonx.decode(text)
            except ValueError as exc:
                raise WippyError(f"decode failed: {exc}", INTERNAL, retryable=False) from None
            return call.to_lua(value)

        def validate(call, schema=None, data=None, *_):
            try:
                validator = _validator(call, schema)
                if data is None:
                    raise _invalid("data is required")
                plain = call.from_lua(data)
            except (WippyError, ConversionError) as exc:
                err = exc if isinstance(exc, WippyError) else _invalid(str(exc))
                return False, call.error(err)
            return _outcome(call, validator, plain, lua_data=True)

        def validate_string(call, schema=None, text=None, *_):
            try:
                validator = _validator(call, schema)
                if not isinstance(text, str):
                    raise _invalid("data must be a JSON string")
                try:
                    data = jsonx.decode(text)
                except ValueError as exc:
                    raise _invalid(f"validation failed: invalid JSON: {exc}") from None
            except WippyError as exc:
                return False, call.error(exc)
            return _outcome(call, validator, data, lua_data=False)

        return {"encode": encode, "decode": decode, "validate": validate,
                "validate_string": validate_string}
