"""`-o ns:entry:field=value` overrides, applied to loaded entries before decoding.

`field` is `kind`, `meta.x`, `data.x` or a bare `x` (= data); dots go into
nested maps (`lifecycle.restart.max_attempts`). Values are coerced:
true/false -> bool, then int, then float, else the string itself.
"""
from __future__ import annotations

import re
from typing import Any

from .config import suggest
from .entry import Entry
from ..errors import ConfigError, ConfigErrors, Origin


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$")


def coerce(text: str) -> Any:
    """"true" -> True, "8080" -> 8080, "0.5" -> 0.5; anything else ("inf", ":8080") stays text."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    return text


def parse_override(spec: str) -> tuple[str, str, Any]:
    """`app:db:file=./x.db` -> ("app:db", "file", "./x.db"). ValueError explains the format."""
    target, sep, value = spec.partition("=")
    entry_id, colon, field = target.rpartition(":")
    if not sep or not colon or ":" not in entry_id or not field or not entry_id.split(":")[1]:
        raise ValueError(f"invalid override {spec!r}: use ns:entry:field=value "
                         "(for example app:gateway:addr=:9090)")
    return entry_id, field, coerce(value)


def apply_overrides(entries: list[Entry], specs: list[str]) -> None:
    """Apply every override in order; raises ConfigErrors naming each bad one."""
    by_id = {e.id: e for e in entries}
    errors: list[ConfigError] = []
    for spec in specs:
        origin = Origin(f"-o {spec}")
        try:
            entry_id, field, value = parse_override(spec)
        except ValueError as exc:
            errors.append(ConfigError(str(exc), origin))
            continue
        entry = by_id.get(entry_id)
        if entry is None:
            errors.append(ConfigError(f"entry {entry_id} not found{suggest(entry_id, by_id)}",
                                      origin, entry_id))
            continue
        problem = _set(entry, field, value)
        if problem:
            errors.append(ConfigError(problem, origin, entry_id, field))
    if errors:
        raise ConfigErrors(errors)


def _set(entry: Entry, field: str, value: Any) -> str | None:
    if field == "kind":
        if not isinstance(value, str) or not value:
            return "kind must be a non-empty string"
        entry.kind = value
        return None
    if field.startswith("meta."):
        root, path = entry.meta, field[5:]
    else:
        root, path = entry.data, field[5:] if field.startswith("data.") else field
    keys = path.split(".")
    if not all(keys):
        return f"invalid field path {field!r}"
    node = root
    for key in keys[:-1]:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return f"cannot set {field}: {key} is not a mapping"
        node = child
    node[keys[-1]] = value
    return None
