"""Which entries a `registry.find` filter matches (docs/modules/registry.md, "Filters").

    matcher = compile_filter({[".kind"] = "function.lua", ["meta.type"] = "cron.job"})
    hits = [e for e in entries if matcher(e)]

Keys, all of which must match:

* `.kind`, `.ns`, `.name`, `.id`: the entry's kind, namespace, name, full id; `*` in the
  value is a wildcard (`app.*`, `*.endpoint`), as in Wippy.
* `meta.x`: meta field `x` equals the value; a list value means "the field is a list
  holding every one of these".
* `~meta.x` regular expression, `*meta.x` substring (also of list items), `^meta.x`
  prefix, `$meta.x` suffix.
* A `meta` table: each of its keys as `meta.<key>`.
* `kind`: as `.kind`; any other bare key `x`: as `meta.x` (the module's documented
  shorthand, `{type = "test"}`).
"""
from __future__ import annotations

import re
from typing import Any, Callable

from ..errors import INVALID, WippyError
from .entry import Entry

Matcher = Callable[[Entry], bool]
ROOT_FIELDS = {
    "kind": lambda e: e.kind,
    "ns": lambda e: e.namespace,
    "name": lambda e: e.name,
    "id": lambda e: e.id,
}
OPERATORS = "~*^$"


def glob(value: str, pattern: str) -> bool:
    """Wippy's id globs: `*` at the start, the end, or once in the middle."""
    if "*" not in pattern:
        return value == pattern
    head, _, tail = pattern.partition("*")
    if "*" in tail:
        if not head and tail.endswith("*") and "*" not in tail[:-1]:
            return tail[:-1] in value
        return False
    return value.startswith(head) and value.endswith(tail) and len(value) >= len(head) + len(tail)


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(expected, list):
        return isinstance(actual, list) and all(x in actual for x in expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(expected) is type(actual) and expected == actual
    return actual == expected


def _contains(actual: Any, text: str) -> bool:
    if isinstance(actual, str):
        return text in actual
    if isinstance(actual, list):
        return any(isinstance(x, str) and text in x for x in actual)
    return False


def _text_test(op: str, value: Any, key: str) -> Callable[[Any], bool]:
    if not isinstance(value, str):
        raise WippyError(f"filter {key!r}: the value must be a string", INVALID, retryable=False)
    if op == "~":
        try:
            rx = re.compile(value)
        except re.error as exc:
            raise WippyError(f"filter {key!r}: invalid regular expression: {exc}", INVALID,
                             retryable=False) from None
        return lambda a: isinstance(a, str) and rx.search(a) is not None
    if op == "*":
        return lambda a: _contains(a, value)
    if op == "^":
        return lambda a: isinstance(a, str) and a.startswith(value)
    return lambda a: isinstance(a, str) and a.endswith(value)


_MISSING = object()


def _meta_test(field: str, test: Callable[[Any], bool]) -> Matcher:
    def match(entry: Entry) -> bool:
        actual = entry.meta.get(field, _MISSING) if isinstance(entry.meta, dict) else _MISSING
        return actual is not _MISSING and test(actual)
    return match


def compile_filter(criteria: Any) -> Matcher:
    """One predicate for a whole filter table; raises WippyError(Invalid) for a bad one."""
    if criteria is None:
        criteria = {}
    if not isinstance(criteria, dict):
        if isinstance(criteria, list) and not criteria:
            criteria = {}
        else:
            raise WippyError("filter must be a table of field = value", INVALID, retryable=False)
    tests: list[Matcher] = []
    items = [(k, v) for k, v in criteria.items() if k != "meta"]
    nested = criteria.get("meta")
    if isinstance(nested, dict):
        items += [(f"meta.{k}", v) for k, v in nested.items()]
    for key, value in items:
        if not isinstance(key, str) or not key:
            raise WippyError(f"filter keys must be strings, got {key!r}", INVALID,
                             retryable=False)
        if key.startswith(".") or key == "kind":
            root = ROOT_FIELDS.get(key.lstrip("."))
            if root is None:
                raise WippyError(f"filter {key!r}: unknown field; use .kind, .ns, .name or "
                                 ".id, or meta.<field>", INVALID, retryable=False)
            if not isinstance(value, str):
                raise WippyError(f"filter {key!r}: the value must be a string", INVALID,
                                 retryable=False)
            tests.append(lambda e, get=root, pattern=value: glob(get(e), pattern))
            continue
        op = key[0] if key[0] in OPERATORS else ""
        field = key[len(op):]
        field = field[5:] if field.startswith("meta.") else field
        if op:
            tests.append(_meta_test(field, _text_test(op, value, key)))
        else:
            tests.append(_meta_test(field, lambda a, want=value: _equal(a, want)))
    return lambda entry: all(t(entry) for t in tests)
