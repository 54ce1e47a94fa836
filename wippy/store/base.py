"""What every store backend shares: argument checks, the documented errors, values
as JSON, pages and the info table.

A backend implements `get/entry/set/put/list/has/delete/info` (all with the same
arguments and results); `sync` says whether they return at once (memory, callable on
any thread) or are coroutines (sql, awaited on the loop).
"""
from __future__ import annotations

import json
from typing import Any

from ..errors import ALREADY_EXISTS, CONFLICT, INVALID, NOT_FOUND, WippyError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
MAX_KEY = 1024              # bytes of UTF-8; a key is an identifier, not data
MAX_TTL = 100 * 365 * 86400  # seconds


class StoreError(WippyError):
    pass


def invalid(message: str) -> StoreError:
    return StoreError(message, INVALID, retryable=False)


def not_found(key: str) -> StoreError:
    return StoreError(f"key {key!r} not found", NOT_FOUND, retryable=False)


def exists(key: str) -> StoreError:
    return StoreError(f"key {key!r} already exists", ALREADY_EXISTS, retryable=False)


def version_mismatch(key: str) -> StoreError:
    return StoreError(f"key {key!r} changed: version does not match", CONFLICT, retryable=True)


def check_key(key: Any) -> str:
    if not isinstance(key, str) or not key:
        raise invalid("key must be a non-empty string")
    if len(key.encode()) > MAX_KEY:
        raise invalid(f"key is longer than {MAX_KEY} bytes")
    return key


def check_ttl(ttl: Any) -> float:
    """Seconds to live; 0 (or nil) = no expiry."""
    if ttl is None:
        return 0.0
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl != ttl:
        raise invalid("ttl must be a number of seconds")
    if ttl < 0:
        raise invalid("ttl must not be negative (0 = no expiry)")
    return float(min(ttl, MAX_TTL))


def check_value(value: Any) -> Any:
    if value is None:
        raise invalid("value is required (use delete to remove a key)")
    return value


def put_options(opts: Any) -> tuple[float, bool, str | None]:
    """(ttl, only_if_absent, if_version) from put's options table."""
    if opts is None:
        return 0.0, False, None
    if not isinstance(opts, (dict, list)):
        raise invalid("options must be a table")
    opts = opts if isinstance(opts, dict) else {}
    absent = bool(opts.get("only_if_absent", False))
    version = opts.get("if_version")
    if version is not None and not isinstance(version, str):
        raise invalid("if_version must be a string")
    if absent and version is not None:
        raise invalid("only_if_absent and if_version are mutually exclusive")
    return check_ttl(opts.get("ttl")), absent, version


def list_options(opts: Any) -> tuple[str, str | None, int]:
    """(prefix, after, limit) from list's options table."""
    opts = opts if isinstance(opts, dict) else {}
    prefix, after, limit = opts.get("prefix", ""), opts.get("after"), opts.get("limit")
    if not isinstance(prefix, str):
        raise invalid("prefix must be a string")
    if after is not None and not isinstance(after, str):
        raise invalid("after must be a string (a cursor from a previous page)")
    if limit is None:
        limit = DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise invalid("limit must be a positive integer")
    return prefix, after or None, min(limit, MAX_LIMIT)


def entry(key: str, value: Any, version: str) -> dict:
    return {"key": key, "value": value, "version": version}


def page(items: list[dict], has_more: bool) -> dict:
    return {"items": items, "cursor": items[-1]["key"] if items else "", "has_more": has_more}


def encode(value: Any) -> bytes:
    """Values are stored as JSON: what goes in comes out, detached from the caller."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                          allow_nan=False).encode()
    except (TypeError, ValueError) as exc:
        raise invalid(f"value cannot be stored: {exc}") from None


def decode(raw: Any) -> Any:
    if isinstance(raw, memoryview):
        raw = bytes(raw)
    return json.loads(raw)


class Store:
    """Base of the backends: identity and capabilities (see `info`)."""
    sync = True
    backend = "unknown"
    consistency = "unknown"
    durable = False
    versioned = False
    conditional_put = False

    def __init__(self, entry_id: str):
        self.entry_id = entry_id

    def info(self) -> dict:
        return {"id": self.entry_id, "backend": self.backend, "consistency": self.consistency,
                "durable": self.durable, "list": True, "versioned": self.versioned,
                "conditional_put": self.conditional_put, "ttl": True}
