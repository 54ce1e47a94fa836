"""`disable:` in `.wippy.yaml`: leave namespaces or entries out of the registry.

    disable:
      namespaces: ["legacy.**"]          # legacy and every namespace below it
      entries: ["app:debug_*"]
    profiles:
      prod:
        disable:
          namespaces.add: ["dev.**"]     # adjust the base list instead of replacing it
          entries.remove: ["app:debug_*"]

Patterns: `*` matches within one dot-separated namespace segment, `**`
matches any number of segments, and `ns.**` also matches `ns` itself. An
entry pattern is `namespace:name`, with the same rules on each side. The
`.add` / `.remove` forms exist only inside profiles (docs/configuration.md).
"""
from __future__ import annotations

import fnmatch
import logging
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable

from ..errors import ConfigError, Origin
from ..logs import fields
from .entry import Entry

log = logging.getLogger("wippy.config")

LISTS = ("namespaces", "entries")
OPS = ("add", "remove")


@dataclass
class Disable:
    namespaces: list[str] = field(default_factory=list)
    entries: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.namespaces or self.entries)


@lru_cache(maxsize=256)
def _namespace_re(pattern: str) -> re.Pattern:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith(".**", i) and i + 3 == len(pattern):
            out += r"(?:\..*)?"
            i += 3
        elif pattern.startswith("**", i):
            out += ".*"
            i += 2
        elif pattern[i] == "*":
            out += r"[^.]*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile(f"^{out}$")


def namespace_matches(pattern: str, namespace: str) -> bool:
    return bool(_namespace_re(pattern).match(namespace))


def entry_matches(pattern: str, entry: Entry) -> bool:
    ns, _, name = pattern.partition(":")
    return namespace_matches(ns, entry.namespace) and fnmatch.fnmatchcase(entry.name, name)


def apply_disable(entries: list[Entry], disable: Disable) -> list[Entry]:
    """The entries that stay; each one left out is logged at debug level."""
    if not disable:
        return entries
    kept = []
    for entry in entries:
        rule = next((p for p in disable.namespaces if namespace_matches(p, entry.namespace)),
                    None) or next((p for p in disable.entries if entry_matches(p, entry)), None)
        if rule is None:
            kept.append(entry)
        else:
            log.debug("entry disabled", extra=fields(entry=entry.id, rule=rule))
    return kept


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def _check_list(key: str, value: Any, origin: Origin | None) -> ConfigError | None:
    if not _string_list(value):
        return ConfigError(f"disable.{key}: must be a list of patterns, e.g. [\"legacy.**\"]",
                           origin)
    if key.startswith("entries"):
        bad = [p for p in value if ":" not in p]
        if bad:
            return ConfigError(f"disable.{key}: {bad[0]!r} is not an entry pattern; write "
                               "namespace:name (for example app:debug_*)", origin)
    return None


def merge_profile_disable(tree: Any, body: Any, source: Callable[[tuple], Origin]
                          ) -> list[ConfigError]:
    """Apply a profile's `disable:` to the composed one (`tree` is project_config._Tree)."""
    if not isinstance(body, dict):
        return [ConfigError("disable must be a mapping (namespaces:, entries:, "
                            "namespaces.add: ...)", source(("disable",)))]
    errors = []
    for key, value in body.items():
        base, _, op = str(key).partition(".")
        origin = source(("disable", key))
        if base not in LISTS or (op and op not in OPS):
            errors.append(ConfigError(f"disable.{key}: unknown field; allowed: "
                                      + ", ".join([*LISTS, *(f"{b}.{o}" for b in LISTS
                                                             for o in OPS)]), origin))
            continue
        problem = _check_list(str(key), value, origin)
        if problem:
            errors.append(problem)
            continue
        current = list(tree.get(("disable", base)) or [])
        if op == "add":
            new = current + [v for v in value if v not in current]
        elif op == "remove":
            new = [v for v in current if v not in value]
        else:
            new = list(value)
        tree.put(("disable", base), new, lambda rel, origin=origin: origin)
    return errors


def disable_problems(section: Any, origin_of: Callable[[tuple], Origin | None]
                     ) -> tuple[Disable, list[ConfigError]]:
    """The composed `disable:` section, checked."""
    if section is None:
        return Disable(), []
    if not isinstance(section, dict):
        return Disable(), [ConfigError("disable must be a mapping with namespaces: and entries:",
                                       origin_of(("disable",)))]
    errors = []
    for key, value in section.items():
        origin = origin_of(("disable", key))
        if str(key).partition(".")[2] in OPS and str(key).partition(".")[0] in LISTS:
            errors.append(ConfigError(f"disable.{key}: .add and .remove work only inside "
                                      "profiles; list the patterns in "
                                      f"disable.{str(key).partition('.')[0]}", origin))
        elif key not in LISTS:
            errors.append(ConfigError(f"disable.{key}: unknown field; allowed: "
                                      "namespaces, entries", origin))
        else:
            problem = _check_list(str(key), value, origin)
            if problem:
                errors.append(problem)
    if errors:
        return Disable(), errors
    return Disable(list(section.get("namespaces") or []), list(section.get("entries") or [])), []
