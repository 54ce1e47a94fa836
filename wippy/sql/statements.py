"""What kind of statement a SQL string is, to route it without parsing SQL fully.

Routes:
  READ     SELECT / VALUES / EXPLAIN / WITH ... SELECT -> a reader connection
  WRITE    everything that may change data             -> the writer (group commit)
  SOLO     PRAGMA, VACUUM: must not run inside the writer's batch transaction
  CONTROL  BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE/END: refused, use db:begin()

Only top-level keywords count: string literals, quoted identifiers, comments
and parenthesised parts are skipped. Readers also run with
`PRAGMA query_only`, so a misrouted write fails safely and is retried on the
writer (see database.py).

Also the checks every entry point runs before routing: `check_sql` (refuses
empty SQL and transaction-control statements), `check_savepoint` (savepoint
names) and `explain` (what `prepare` compiles).
"""
from __future__ import annotations

import re
from typing import Any

from ..errors import INVALID, WippyError

READ, WRITE, SOLO, CONTROL = "read", "write", "solo", "control"

_CONTROL = {"BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"}
_WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE"}
_CACHE_MAX = 2048
_cache: dict[str, str] = {}
_SAVEPOINT_NAME = re.compile(r"^[A-Za-z0-9_]+$")


def classify(sql: str) -> str:
    """READ, WRITE, SOLO or CONTROL for one SQL statement (cached per string)."""
    route = _cache.get(sql)
    if route is None:
        route = _classify(sql)
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[sql] = route
    return route


def _classify(sql: str) -> str:
    words = top_level_words(sql)
    head = next(words, "")
    if head in ("SELECT", "VALUES", "EXPLAIN"):
        return READ
    if head == "WITH":
        for word in words:
            if word in _WRITES:
                return WRITE
        return READ
    if head in _CONTROL:
        return CONTROL
    if head in ("PRAGMA", "VACUUM"):
        return SOLO
    return WRITE


def check_sql(sql: Any) -> None:
    """Refuse what no route runs: a missing query, and BEGIN/COMMIT/... (use db:begin())."""
    if not isinstance(sql, str) or not sql.strip():
        raise WippyError("query is required", INVALID, retryable=False)
    if classify(sql) == CONTROL:
        raise WippyError("transaction statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, "
                         "RELEASE) cannot be run as SQL; use db:begin() and the "
                         "transaction's methods", INVALID, retryable=False)


def check_savepoint(name: Any) -> str:
    """`name` if it is a plain identifier (it is pasted into SAVEPOINT statements)."""
    if not isinstance(name, str) or name == "":
        raise WippyError("savepoint name is required", INVALID, retryable=False)
    if not _SAVEPOINT_NAME.match(name):
        raise WippyError("savepoint name can only contain alphanumeric characters "
                         "and underscores", INVALID, retryable=False)
    return name


def explain(sql: str) -> str:
    """The statement to compile (not run) when validating `prepare`."""
    return sql if sql.lstrip()[:7].upper() == "EXPLAIN" else "EXPLAIN " + sql


def head_word(sql: str) -> str:
    return next(top_level_words(sql), "")


def top_level_words(sql: str):
    """Yield upper-cased bare words outside literals, comments and parentheses."""
    i, n, depth = 0, len(sql), 0
    while i < n:
        c = sql[i]
        if c in " \t\r\n\f;":
            i += 1
        elif c == "-" and sql.startswith("--", i):
            j = sql.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "/" and sql.startswith("/*", i):
            j = sql.find("*/", i + 2)
            i = n if j < 0 else j + 2
        elif c in "'\"`":
            i = _skip_quoted(sql, i, c)
        elif c == "[":
            j = sql.find("]", i)
            i = n if j < 0 else j + 1
        elif c == "(":
            depth += 1
            i += 1
        elif c == ")":
            depth = max(0, depth - 1)
            i += 1
        elif c.isalpha() or c == "_":
            j = i + 1
            while j < n and (sql[j].isalnum() or sql[j] in "_$"):
                j += 1
            if depth == 0:
                yield sql[i:j].upper()
            i = j
        else:
            i += 1


def _skip_quoted(sql: str, i: int, quote: str) -> int:
    """Index after the literal starting at i; a doubled quote is an escaped quote."""
    n = len(sql)
    j = i + 1
    while j < n:
        if sql[j] == quote:
            if j + 1 < n and sql[j + 1] == quote:
                j += 2
                continue
            return j + 1
        j += 1
    return n
