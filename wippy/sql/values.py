"""Value conversion at the SQL boundary: parameters in, column values out.

Parameters (Go Wippy `checkParams`): None -> NULL, bool/int/float/str/bytes
as they are, anything else (tables, the `sql.NULL` marker, which arrives
from Lua as an empty list) -> NULL. `{"$sql": "binary", "hex": ...}` is how
`sql.as.binary` crosses from Lua (hex, because Lua strings that are not
UTF-8 cannot cross as text).

Rows: mattn/go-sqlite3 converts by *declared* column type: DATETIME,
TIMESTAMP and DATE become RFC 3339 UTC strings, BOOLEAN becomes a boolean.
Python's sqlite3 exposes declared types only through converters
(`detect_types=PARSE_DECLTYPES`), registered below under those names. The
registry is process-wide, but only connections opened with detect_types use
it, and only this package opens connections that way.
"""
from __future__ import annotations

import re
import sqlite3
from datetime import datetime, timedelta, timezone
from typing import Any

from ..errors import INVALID, WippyError

ZERO_TIME = "0001-01-01T00:00:00Z"   # Go's zero time.Time, what mattn returns on parse failure

_PLAIN = (str, int, float, bytes, bool)
_EXACT_PLAIN = frozenset(_PLAIN)


def param(value: Any) -> Any:
    """One SQL parameter from plain data (see module doc)."""
    if value is None or isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict) and value.get("$sql") == "binary":
        hexed = value.get("hex")
        try:
            return bytes.fromhex(hexed) if isinstance(hexed, str) else b""
        except ValueError:
            return b""
    return None  # tables, functions, sql.NULL


def params_list(params: Any) -> list:
    """Normalise a params argument (list, Lua array with holes, None) into a list."""
    if params is None:
        return []
    if isinstance(params, (list, tuple)):
        return [v if type(v) in _EXACT_PLAIN else param(v) for v in params]
    if isinstance(params, dict):
        if not params:
            return []
        keys = [k for k in params if isinstance(k, int) and not isinstance(k, bool)]
        if len(keys) != len(params) or min(keys) < 1:
            raise WippyError("parameters must be an array table (positional parameters only)",
                             INVALID, retryable=False)
        return [param(params.get(i)) for i in range(1, max(keys) + 1)]
    name = "boolean" if isinstance(params, bool) else (
        "number" if isinstance(params, (int, float)) else
        "string" if isinstance(params, str) else type(params).__name__)
    raise WippyError(f"parameters must be a table, got {name}", INVALID, retryable=False)


def varargs(packed: Any) -> list:
    """Arguments packed in Lua with `table.pack(...)` ({n=..., [i]=v}), holes kept as NULL."""
    if packed is None:
        return []
    if isinstance(packed, list):
        return [param(v) for v in packed]
    if isinstance(packed, dict):
        n = packed.get("n")
        if not isinstance(n, int):
            n = max((k for k in packed if isinstance(k, int)), default=0)
        return [param(packed.get(i)) for i in range(1, n + 1)]
    return [param(packed)]


# ---------------------------------------------------------------- rows

def row_dicts(columns: list[str], rows: list[tuple]) -> list[dict]:
    """Rows as dicts; NULL columns are left out (they read as nil in Lua)."""
    return [{c: v for c, v in zip(columns, r) if v is not None} for r in rows]


_TIME_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})"
    r"(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?"
    r"(?:([+-])(\d{2}):(\d{2}))?$")
_INT_RE = re.compile(rb"^-?\d+$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _rfc3339(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(raw: bytes) -> int | float | None:
    if _INT_RE.match(raw):
        return int(raw)
    try:
        return float(raw)
    except ValueError:
        return None


def convert_time(raw: bytes) -> Any:
    """A DATETIME/TIMESTAMP/DATE column value, as mattn/go-sqlite3 reads it."""
    num = _number(raw)
    if isinstance(num, int):
        # Unix seconds; 13+ digits are taken as milliseconds (mattn's rule).
        try:
            if num > 10**12 or num < -10**12:
                return _rfc3339(_EPOCH + timedelta(milliseconds=num))
            return _rfc3339(_EPOCH + timedelta(seconds=num))
        except OverflowError:
            return ZERO_TIME
    if isinstance(num, float):
        return num  # REAL values are not converted by mattn
    text = raw.decode("utf-8", "replace").strip()
    if text.endswith("Z"):
        text = text[:-1]
    m = _TIME_RE.match(text)
    if not m:
        return ZERO_TIME
    y, mo, d, h, mi, s, frac, sign, oh, om = m.groups()
    try:
        dt = datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0),
                      tzinfo=timezone.utc)
    except ValueError:
        return ZERO_TIME
    if sign:
        offset = timedelta(hours=int(oh), minutes=int(om))
        dt = dt - offset if sign == "+" else dt + offset
    return _rfc3339(dt)


def convert_bool(raw: bytes) -> Any:
    """A BOOLEAN column: integers become booleans (> 0 is true), others stay as stored."""
    num = _number(raw)
    if isinstance(num, int):
        return num > 0
    if isinstance(num, float):
        return num
    return raw.decode("utf-8", "replace")


for _name in ("DATETIME", "TIMESTAMP", "DATE"):
    sqlite3.register_converter(_name, convert_time)
sqlite3.register_converter("BOOLEAN", convert_bool)
