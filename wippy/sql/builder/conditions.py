"""WHERE/HAVING conditions, rendered the way Masterminds/squirrel renders them.

A condition is plain data (it arrives from Lua through `from_lua`):

    {"cond": "raw", "sql": "a = ? OR b = ?", "args": [1, 2]}   -- where("...", ...)
    {"cond": "expr", "sql": "...", "args": [...]}               -- sql.builder.expr
    {"cond": "eq" | "not_eq" | "lt" | "lte" | "gt" | "gte" | "like" | "not_like",
     "map": {"column": value, ...}}                              -- where({...}), eq{...}
    {"cond": "and" | "or", "parts": [condition, ...]}

Map keys are rendered in sorted order (squirrel sorts Eq/Lt maps; we also
sort Like maps so the SQL is deterministic). Values go through `value()`:
anything that is not a scalar is NULL, so a Lua table never becomes an
implicit `IN (...)`.
"""
from __future__ import annotations

from typing import Any

from ...errors import INVALID, WippyError
from ..values import param, varargs

SQL_TRUE, SQL_FALSE = "(1=1)", "(1=0)"

_COMPARE = {"lt": "<", "lte": "<=", "gt": ">", "gte": ">="}
_LIKE = {"like": "LIKE", "not_like": "NOT LIKE"}


def invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def is_sqlizer(value: Any) -> bool:
    return isinstance(value, dict) and "cond" in value


def entries(mapping: Any) -> list[tuple[str, Any]]:
    """(column, value) pairs of a condition map, string keys only, sorted."""
    if not isinstance(mapping, dict):
        return []   # an empty Lua table arrives as []
    return sorted(((k, v) for k, v in mapping.items() if isinstance(k, str)),
                  key=lambda kv: kv[0])


def render_cond(cond: Any) -> tuple[str, list]:
    """(sql, args) of one condition; sql may be "" (no constraint)."""
    if isinstance(cond, str):
        return cond, []
    if not isinstance(cond, dict):
        raise invalid("expected string, table, or Sqlizer")
    kind = cond.get("cond")
    if kind in ("raw", "expr"):
        sql = cond.get("sql")
        if not isinstance(sql, str):
            raise invalid("expression must be a string")
        return sql, varargs(cond.get("args"))
    if kind in ("eq", "not_eq"):
        return _eq(cond.get("map"), kind == "not_eq")
    if kind in _COMPARE:
        return _compare(cond.get("map"), _COMPARE[kind])
    if kind in _LIKE:
        return _like(cond.get("map"), _LIKE[kind])
    if kind in ("and", "or"):
        return _conj(cond.get("parts"), kind)
    raise invalid(f"unknown condition {kind!r}")


def _eq(mapping: Any, negate: bool) -> tuple[str, list]:
    pairs = entries(mapping)
    if not pairs:
        return SQL_TRUE, []
    op, null_op = ("<>", "IS NOT") if negate else ("=", "IS")
    exprs, args = [], []
    for column, raw in pairs:
        value = param(raw)
        if value is None:
            exprs.append(f"{column} {null_op} NULL")
        else:
            exprs.append(f"{column} {op} ?")
            args.append(value)
    return " AND ".join(exprs), args


def _compare(mapping: Any, op: str) -> tuple[str, list]:
    exprs, args = [], []
    for column, raw in entries(mapping):
        value = param(raw)
        if value is None:
            raise invalid("cannot use null with less than or greater than operators")
        exprs.append(f"{column} {op} ?")
        args.append(value)
    return " AND ".join(exprs), args


def _like(mapping: Any, op: str) -> tuple[str, list]:
    exprs, args = [], []
    for column, raw in entries(mapping):
        value = param(raw)
        if value is None:
            raise invalid("cannot use null with like operators")
        exprs.append(f"{column} {op} ?")
        args.append(value)
    return " AND ".join(exprs), args


def _conj(parts: Any, kind: str) -> tuple[str, list]:
    if isinstance(parts, dict):   # a Lua array with holes
        parts = [parts[k] for k in sorted(k for k in parts if isinstance(k, int))]
    if not parts:
        return (SQL_TRUE if kind == "and" else SQL_FALSE), []
    sqls, args = [], []
    for part in parts:
        if isinstance(part, dict) and "cond" not in part:
            part = {"cond": "eq", "map": part}   # a plain table inside and_/or_ is an Eq map
        sql, part_args = render_cond(part)
        if sql:
            sqls.append(sql)
            args.extend(part_args)
    if not sqls:
        return "", []
    sep = " AND " if kind == "and" else " OR "
    return f"({sep.join(sqls)})", args


def render_conds(conds: Any, args: list) -> str:
    """Conditions ANDed together (repeated where() calls); appends to args."""
    sqls = []
    for cond in conds or ():
        sql, cond_args = render_cond(cond)
        if sql:
            sqls.append(sql)
            args.extend(cond_args)
    return " AND ".join(sqls)
