"""Calls into our own Lua modules for `wippy lint`: argument counts (E0005) and
literal argument types (E0001), read from the one signature table each module
declares for the editor stubs (`wippy/lua/modules/<name>/signatures.py`, parsed
by wippy/lua/stubs/signatures.py). A module without that table, a function it
does not list, a method-style function (a `self` parameter) or a type this file
does not understand is not checked.

Types there are LuaLS types: `string`, `integer`, `number`, `boolean`, `any`,
`table`, `table<K, V>`, `T[]`, `{...}`, `fun(...)`, `"lit"`, `A|B`, `T?`, class
names (`time.Time`) and the module's aliases (`time.DurationLike`).
"""
from __future__ import annotations

import functools
import importlib

from ...common.duration import parse_nanoseconds

PRIMITIVE_KINDS = {"string": ("string",), "number": ("number", "integer"),
                   "integer": ("integer",), "boolean": ("boolean",), "nil": ("nil",)}
# Types whose values are tables, functions or objects: no literal of ours is one.
_NOT_LITERAL = ("table", "fun(", "function", "{", "userdata", "thread")


@functools.cache
def signatures(module: str):
    """(functions by dotted name, aliases, class names) of a module, or None."""
    if not module.isidentifier():
        return None
    try:
        from ..stubs.signatures import SignatureError, parse
        found = importlib.import_module(f"wippy.lua.modules.{module}.signatures")
    except ImportError:
        return None
    try:
        sigs = parse(found.SIGNATURES)
    except (SignatureError, AttributeError):
        return None
    return sigs.functions, dict(sigs.aliases), frozenset(c.name for c in sigs.classes)


def _split_union(text: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(<{[":
            depth += 1
        elif ch in ")>}]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return [p for p in parts if p]


def literal_verdict(type_text: str, kind: str, value: str, aliases: dict, classes: frozenset,
                    depth: int = 0) -> bool | None:
    """True: a literal of `kind` (its text `value`, a string's content for strings) is
    one of `type_text`; False: certainly not; None: the type is not understood."""
    if depth > 10:
        return None
    verdicts = []
    for member in _split_union(type_text):
        if member.endswith("?"):
            if kind == "nil":
                return True
            member = member[:-1].strip()
        if member.startswith("(") and member.endswith(")"):
            verdicts.append(literal_verdict(member[1:-1], kind, value, aliases, classes, depth + 1))
        elif member in aliases:
            verdicts.append(literal_verdict(aliases[member], kind, value, aliases, classes,
                                            depth + 1))
        elif member in ("any", "unknown"):
            return True
        elif member in PRIMITIVE_KINDS:
            verdicts.append(kind in PRIMITIVE_KINDS[member])
        elif member in ("true", "false"):
            verdicts.append(kind == "boolean" and value == member)
        elif member[:1] in "\"'" and member[-1:] == member[:1]:
            verdicts.append(kind == "string" and value == member[1:-1])
        elif member.startswith(_NOT_LITERAL) or member.endswith("[]") or member in classes:
            verdicts.append(False)
        else:
            verdicts.append(None)        # error, logger, another module's class...
    if any(v is True for v in verdicts):
        return True
    return None if any(v is None for v in verdicts) else False


def is_duration_type(type_text: str) -> bool:
    """A string given for `time.DurationLike` must be a Go duration ("1s", "250ms")."""
    return "DurationLike" in type_text


def bad_duration(text: str) -> bool:
    try:
        parse_nanoseconds(text)
    except ValueError:
        return True
    return False


__all__ = ["signatures", "literal_verdict", "is_duration_type", "bad_duration"]
