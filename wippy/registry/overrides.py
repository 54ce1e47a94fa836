"""Entry overrides: `-o ns:entry:field=value` and the `override:` section of `.wippy.yaml`.

`field` is `kind`, `meta.x`, `data.x` or a bare `x` (= data); dots go into
nested maps (`lifecycle.restart.max_attempts`). `-o` values are coerced by
shape: true/false -> bool, then int, then float; `[a, b]` and `{k: v}` are
YAML flow lists and maps; anything else is the string itself. `override:`
values keep their YAML type. Precedence (docs/configuration.md): the entry,
then `override:`, then profile overrides, then `-o`; the caller applies them
in that order, so the last writer wins.

Switching `kind` records the kind the entry was written with
(`Entry.written_kind`): plan.py then drops that kind's own fields instead of
refusing them, so `app:db:kind=db.sql.postgres` works on a SQLite entry.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

import yaml

from .config import suggest
from .entry import Entry
from .yaml_lines import parse_yaml
from ..errors import ConfigError, ConfigErrors, Origin


_INT = re.compile(r"^[-+]?[0-9]+$")
_FLOAT = re.compile(r"^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+)(?:[eE][-+]?[0-9]+)?$")


def coerce(text: str) -> Any:
    """"true" -> True, "8080" -> 8080, "0.5" -> 0.5, "[a,b]" -> ["a", "b"];
    anything else ("inf", ":8080") stays text. ValueError for a broken list or map."""
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if _INT.match(text):
        return int(text)
    if _FLOAT.match(text):
        return float(text)
    if text[:1] in ("[", "{"):
        return _flow(text)
    return text


def _flow(text: str) -> Any:
    try:
        value = parse_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem", None) or "not valid YAML"
        raise ValueError(f"{text!r} is not a valid list or map ({mark}); write it in YAML flow "
                         "syntax, e.g. [a, b] or {key: value}") from None
    return plain(value)


def plain(value: Any) -> Any:
    """Plain dicts and lists (no line marks): entry data must not keep parser types."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def split_key(key: str) -> tuple[str, str]:
    """`app:db:file` -> ("app:db", "file"). ValueError explains the format."""
    entry_id, colon, field = key.rpartition(":")
    if not colon or ":" not in entry_id or not field or not entry_id.split(":")[1]:
        raise ValueError(f"invalid override key {key!r}: use ns:entry:field (for example "
                         "app:gateway:addr)")
    return entry_id, field


def parse_override(spec: str) -> tuple[str, str, Any]:
    """`app:db:file=./x.db` -> ("app:db", "file", "./x.db"). ValueError explains the format."""
    target, sep, value = spec.partition("=")
    try:
        if not sep:
            raise ValueError
        entry_id, field = split_key(target)
    except ValueError:
        raise ValueError(f"invalid override {spec!r}: use ns:entry:field=value "
                         "(for example app:gateway:addr=:9090)") from None
    return entry_id, field, coerce(value)


def apply_overrides(entries: list[Entry], specs: list[str]) -> None:
    """Apply every `-o` spec in order; raises ConfigErrors naming each bad one."""
    by_id = {e.id: e for e in entries}
    errors: list[ConfigError] = []
    for spec in specs:
        origin = Origin(f"-o {spec}")
        try:
            entry_id, field, value = parse_override(spec)
        except ValueError as exc:
            errors.append(ConfigError(str(exc), origin))
            continue
        errors.extend(_apply(by_id, entry_id, field, value, origin))
    if errors:
        raise ConfigErrors(errors)


def apply_override_items(entries: list[Entry], items: Iterable[tuple[str, Any, Origin]]) -> None:
    """Apply `(ns:entry:field, value, origin)` in order (the `override:` section)."""
    by_id = {e.id: e for e in entries}
    errors: list[ConfigError] = []
    for key, value, origin in items:
        try:
            entry_id, field = split_key(key)
        except ValueError as exc:
            errors.append(ConfigError(str(exc), origin))
            continue
        errors.extend(_apply(by_id, entry_id, field, value, origin))
    if errors:
        raise ConfigErrors(errors)


def _apply(by_id: dict[str, Entry], entry_id: str, field: str, value: Any,
           origin: Origin) -> list[ConfigError]:
    entry = by_id.get(entry_id)
    if entry is None:
        return [ConfigError(f"entry {entry_id} not found{suggest(entry_id, by_id)}",
                            origin, entry_id)]
    problem = _set(entry, field, value)
    return [ConfigError(problem, origin, entry_id, field)] if problem else []


def _set(entry: Entry, field: str, value: Any) -> str | None:
    if field == "kind":
        if not isinstance(value, str) or not value:
            return "kind must be a non-empty string"
        written = entry.written_kind or entry.kind
        entry.written_kind = None if value == written else written
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
    node[keys[-1]] = plain(value)
    return None
