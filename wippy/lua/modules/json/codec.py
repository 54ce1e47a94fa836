"""JSON with Wippy's (Go runtime's) rules, shared by the `json` and `http` Lua modules.

`decode(text)` -> plain Python value; `encode(value)` -> compact JSON text.
Both raise ValueError with a message meant for the user.

Encoding follows the Go runtime's `json.encode` (runtime/lua/modules/json):
  * floats with an integral value inside a table print as integers (`3.0` -> `3`),
    other floats as plain decimals without exponent; NaN/Inf -> `null`;
    a bare top-level float uses Go encoding/json's shortest form;
  * `<`, `>`, `&`, U+2028, U+2029 are escaped (`\\u003c` ...), other non-ASCII
    stays raw UTF-8, invalid UTF-8 becomes U+FFFD;
  * object keys are written in ascending order, so equal values encode equally;
  * dicts whose keys are the integers 1..n encode as arrays; integer keys mixed
    with string keys, or integer keys with gaps, are errors (a Lua table crossing
    into Python may arrive as such a dict);
  * containers nested deeper than 128 levels, or containing themselves, are errors.
Decoding keeps integers as int and numbers with `.`/`e` as float, rejects NaN and
Infinity, lone surrogate escapes, invalid UTF-8 and nesting deeper than 128 levels.
"""
from __future__ import annotations

import json
import re
from decimal import Decimal
from json.encoder import encode_basestring as _quote
from typing import Any

MAX_DEPTH = 128

_INT64_MIN = -(1 << 63)
_INT64_MAX = (1 << 63) - 1

ERR_NESTED = "cannot encode recursively nested tables to JSON"
ERR_SPARSE = "cannot encode sparse array: non-contiguous numeric keys found"
ERR_MIXED = "cannot encode mixed-key table: table has both numeric and non-numeric keys"
ERR_DEPTH = "exceeded maximum nesting depth for JSON encoding"

_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abcdefABCDEF]")
_HTML = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
         "\u2028": "\\u2028", "\u2029": "\\u2029"}


# ---------------------------------------------------------------- decoding

def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _parse_int(text: str) -> int | float:
    # Integers beyond int64 become floats, as in the Go runtime (Lua has no bigints).
    if len(text) < 19:
        return int(text)
    if len(text) <= 25:
        value = int(text)
        if _INT64_MIN <= value <= _INT64_MAX:
            return value
    return _parse_float(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError(f"number {text[:40]} is out of range")
    return value


_DECODER = json.JSONDecoder(parse_constant=_reject_constant, parse_int=_parse_int,
                            parse_float=_parse_float)


def decode(data: str | bytes | bytearray | memoryview) -> Any:
    """Parse one JSON value. Raises ValueError with the reason and position."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError(f"invalid UTF-8 at byte {exc.start}") from None
    elif isinstance(data, str):
        text = data
        if _SURROGATE.search(text):
            raise ValueError("invalid UTF-8 in input")
    else:
        raise ValueError(f"JSON input must be a string, got {type(data).__name__}")
    if not text.strip(" \t\r\n"):
        raise ValueError("unexpected end of JSON input")
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg[:1].lower()}{exc.msg[1:]} at line {exc.lineno} "
                         f"column {exc.colno}") from None
    except RecursionError:
        raise ValueError(f"nesting deeper than {MAX_DEPTH} levels") from None
    deep = text.count("[") + text.count("{") > MAX_DEPTH
    surrogates = "\\u" in text and _SURROGATE_ESCAPE.search(text) is not None
    if deep or surrogates:
        _check_decoded(value, surrogates)
    return value


def _check_decoded(value: Any, surrogates: bool) -> None:
    """Walk a decoded value for too deep nesting and lone surrogates (rare inputs only)."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if surrogates and _SURROGATE.search(item):
                raise ValueError("invalid escape: lone UTF-16 surrogate in string")
        elif isinstance(item, (list, dict)):
            if depth >= MAX_DEPTH:
                raise ValueError(f"nesting deeper than {MAX_DEPTH} levels")
            if isinstance(item, dict):
                if surrogates:
                    stack.extend((key, depth) for key in item)
                stack.extend((v, depth + 1) for v in item.values())
            else:
                stack.extend((v, depth + 1) for v in item)


# ---------------------------------------------------------------- encoding

class _NotSimple(Exception):
    """The value needs the general encoder (integer-keyed dicts, tiny or huge floats)."""


_STDLIB = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True,
                           check_circular=False, allow_nan=False)


def _simple(value: Any, depth: int, path: set[int]) -> Any:
    """A copy the stdlib's C encoder writes exactly as Go would, or _NotSimple."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return value
    if kind is float:
        if value.is_integer() and _INT64_MIN <= value <= _INT64_MAX:
            return int(value)
        if 1e-4 <= abs(value) < 1e16:        # here repr() has no exponent
            return value
        if value != value or value in (float("inf"), float("-inf")):
            return None
        raise _NotSimple
    if kind is dict or kind is list or kind is tuple:
        if depth >= MAX_DEPTH:
            raise ValueError(ERR_DEPTH)
        ident = id(value)
        if ident in path:
            raise ValueError(ERR_NESTED)
        path.add(ident)
        depth += 1
        if kind is dict:
            out: Any = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise _NotSimple
                kind = type(item)
                out[key] = item if kind is str or kind is int else _simple(item, depth, path)
        else:
            out = [item if type(item) is str or type(item) is int else _simple(item, depth, path)
                   for item in value]
        path.discard(ident)
        return out
    raise _NotSimple


def encode(value: Any) -> str:
    """Encode plain data as compact JSON text. Raises ValueError on unencodable tables."""
    if isinstance(value, float):
        out = _top_level_float(value)
    else:
        try:
            out = _STDLIB.encode(_simple(value, 0, set()))
        except _NotSimple:
            parts: list[str] = []
            _encode(value, parts, 0, set())
            out = "".join(parts)
    if _SURROGATE.search(out):
        out = _SURROGATE.sub("\ufffd", out)
    for char, escaped in _HTML.items():
        if char in out:
            out = out.replace(char, escaped)
    return out


def _encode(value: Any, parts: list[str], depth: int, path: set[int]) -> None:
    if value is None:
        parts.append("null")
    elif value is True:
        parts.append("true")
    elif value is False:
        parts.append("false")
    elif isinstance(value, str):
        parts.append(_quote(value))
    elif isinstance(value, int):
        parts.append(int.__repr__(value))
    elif isinstance(value, float):
        parts.append(_table_float(value))
    elif isinstance(value, (list, tuple, dict)):
        _encode_container(value, parts, depth, path)
    elif isinstance(value, (bytes, bytearray)):
        parts.append(_quote(bytes(value).decode("utf-8", "replace")))
    elif isinstance(value, BaseException):
        # Error objects encode as their message, as in the Go runtime.
        parts.append(_quote(str(getattr(value, "message", value))))
    else:
        parts.append("null")


def _encode_container(value: Any, parts: list[str], depth: int, path: set[int]) -> None:
    if depth >= MAX_DEPTH:
        raise ValueError(ERR_DEPTH)
    ident = id(value)
    if ident in path:
        raise ValueError(ERR_NESTED)
    path.add(ident)
    if isinstance(value, dict):
        _encode_dict(value, parts, depth, path)
    else:
        _encode_items(value, parts, depth, path)
    path.discard(ident)


def _encode_items(items: Any, parts: list[str], depth: int, path: set[int]) -> None:
    if not items:
        parts.append("[]")
        return
    parts.append("[")
    first = True
    for item in items:
        if not first:
            parts.append(",")
        first = False
        _encode(item, parts, depth + 1, path)
    parts.append("]")


def _encode_dict(table: dict, parts: list[str], depth: int, path: set[int]) -> None:
    if not table:
        parts.append("{}")
        return
    numeric: list[int] = []
    named: list[tuple[str, Any]] = []
    for key, item in table.items():
        index = _array_index(key)
        if index is not None:
            numeric.append(index)
        else:
            named.append((_key_text(key), item))
    if numeric and named:
        raise ValueError(ERR_MIXED)
    if numeric:
        if max(numeric) != len(numeric):
            raise ValueError(ERR_SPARSE)
        by_index = {_array_index(k): v for k, v in table.items()}
        _encode_items([by_index[i] for i in range(1, len(numeric) + 1)], parts, depth, path)
        return
    named.sort(key=lambda pair: pair[0])
    parts.append("{")
    first = True
    for key, item in named:
        if not first:
            parts.append(",")
        first = False
        parts.append(_quote(key))
        parts.append(":")
        _encode(item, parts, depth + 1, path)
    parts.append("}")


def _array_index(key: Any) -> int | None:
    """Positive integral keys are array positions; everything else is an object key."""
    if isinstance(key, bool):
        return None
    if isinstance(key, int):
        return key if key > 0 else None
    if isinstance(key, float) and key.is_integer() and key > 0:
        return int(key)
    return None


def _key_text(key: Any) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return _plain_decimal(key)
    if isinstance(key, (bytes, bytearray)):
        return bytes(key).decode("utf-8", "replace")
    return str(key)


def _table_float(value: float) -> str:
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    if value.is_integer() and _INT64_MIN <= value <= _INT64_MAX:
        return str(int(value))
    return _plain_decimal(value)


def _plain_decimal(value: float) -> str:
    """Shortest round-trip digits written without exponent (Go's FormatFloat 'f', -1)."""
    if value == 0:
        return "-0" if str(value).startswith("-") else "0"
    text = repr(value)
    if "e" not in text and "n" not in text:
        return text[:-2] if text.endswith(".0") else text
    return format(Decimal(text), "f")


def _top_level_float(value: float) -> str:
    """Go encoding/json's float format: plain decimal, exponent outside [1e-6, 1e21)."""
    if value != value or value in (float("inf"), float("-inf")):
        return "null"
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        sign, digits = exponent[0], exponent[1:].lstrip("0") or "0"
        if len(digits) == 1 and sign == "-":
            return f"{mantissa}e-{digits}"
        return f"{mantissa}e{sign}{digits.zfill(2)}"
    return _plain_decimal(value)
