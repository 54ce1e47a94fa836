"""SELECT/INSERT/UPDATE/DELETE from plain builder state, squirrel-compatible SQL.

State shapes (all keys optional unless noted; lists of strings are raw SQL):

    select: {"type": "select", "columns": [...], "distinct": bool, "from": str,
             "joins": [{"sql": "LEFT JOIN t ON ...", "args": [...]}],
             "where": [cond], "group_by": [...], "having": [cond], "order_by": [...],
             "limit": int, "offset": int, "suffixes": [{"sql", "args"}],
             "placeholder": "question" | "dollar" | "at" | "colon"}
    insert: {"type": "insert", "into": str, "columns": [...], "rows": [[value...]],
             "select": select-state, "options": [...], "prefixes": [...], "suffixes": [...]}
    update: {"type": "update", "table": str, "set": [{"column": str, "value": v}],
             "from": str, "from_select": {"select": select-state, "alias": str},
             "where", "order_by", "limit", "offset", "suffixes"}
    delete: {"type": "delete", "from": str, "where", "order_by", "limit", "offset",
             "suffixes"}

A *value* (insert row item, update set value) may be a scalar, a condition
built by `expr()` (inlined, as squirrel inlines a Sqlizer), or a select state
(a sub-query in parentheses for UPDATE ... SET). Lua args with holes arrive
as {"n": count, 1: v, ...} and are read with `varargs`.
"""
from __future__ import annotations

from typing import Any

from ..values import param, varargs
from .conditions import invalid, is_sqlizer, render_cond, render_conds

PLACEHOLDERS = {"question": None, "dollar": "$", "at": "@p", "colon": ":"}


def render(state: Any) -> tuple[str, list]:
    """(sql, args) for a builder state, with its placeholder format applied."""
    if not isinstance(state, dict):
        raise invalid("expected a query builder")
    kind = state.get("type")
    fn = _RENDERERS.get(kind)
    if fn is None:
        raise invalid(f"unknown builder type {kind!r}")
    sql, args = fn(state)
    return apply_placeholders(sql, state.get("placeholder") or "question"), args


def apply_placeholders(sql: str, fmt: str) -> str:
    """Replace `?` by $1.. / @p1.. / :1..; `??` is an escaped literal `?` (squirrel)."""
    if fmt not in PLACEHOLDERS:
        raise invalid("expected placeholder format")
    prefix = PLACEHOLDERS[fmt]
    if prefix is None or "?" not in sql:
        return sql
    out, n, i = [], 0, 0
    while True:
        p = sql.find("?", i)
        if p < 0:
            break
        out.append(sql[i:p])
        if sql.startswith("??", p):
            out.append("?")
            i = p + 2
        else:
            n += 1
            out.append(f"{prefix}{n}")
            i = p + 1
    out.append(sql[i:])
    return "".join(out)


def _strings(value: Any) -> list[str]:
    if isinstance(value, dict):   # Lua array with holes
        value = [value[k] for k in sorted(k for k in value if isinstance(k, int))]
    return [v for v in (value or ()) if isinstance(v, str)]


def _clauses(items: Any, args: list) -> list[str]:
    """Raw SQL pieces with their own args (joins, prefixes, suffixes)."""
    sqls = []
    for item in items or ():
        if isinstance(item, str):
            sqls.append(item)
        elif isinstance(item, dict) and isinstance(item.get("sql"), str):
            sqls.append(item["sql"])
            args.extend(varargs(item.get("args")))
    return sqls


_SCALAR_PARAMS = frozenset((str, int, float, bytes, bool, type(None)))   # param() keeps these


def _value(value: Any, args: list, parens_for_select: bool = False) -> str:
    if type(value) in _SCALAR_PARAMS:   # the common case, without the checks below
        args.append(value)
        return "?"
    if is_sqlizer(value):
        sql, vargs = render_cond(value)
        args.extend(vargs)
        return sql
    if isinstance(value, dict) and value.get("type") == "select":
        sql, vargs = _select(value)
        args.extend(vargs)
        return f"({sql})" if parens_for_select else sql
    args.append(param(value))
    return "?"


def _where(state: dict, args: list, parts: list[str]) -> None:
    """The WHERE clause: every where() condition ANDed."""
    where = render_conds(state.get("where"), args)
    if where:
        parts.append(" WHERE " + where)


def _order_limit(state: dict, args: list, parts: list[str]) -> None:
    order = _strings(state.get("order_by"))
    if order:
        parts.append(" ORDER BY " + ", ".join(order))
    if isinstance(state.get("limit"), int):
        parts.append(f" LIMIT {state['limit']}")
    if isinstance(state.get("offset"), int):
        parts.append(f" OFFSET {state['offset']}")
    suffixes = _clauses(state.get("suffixes"), args)
    if suffixes:
        parts.append(" " + " ".join(suffixes))


def _select(state: dict) -> tuple[str, list]:
    columns = _strings(state.get("columns"))
    if not columns:
        raise invalid("select statements must have at least one result column")
    args: list = []
    parts = ["SELECT ", "DISTINCT " if state.get("distinct") else "", ", ".join(columns)]
    if isinstance(state.get("from"), str) and state["from"]:
        parts.append(" FROM " + state["from"])
    joins = _clauses(state.get("joins"), args)
    if joins:
        parts.append(" " + " ".join(joins))
    _where(state, args, parts)
    group = _strings(state.get("group_by"))
    if group:
        parts.append(" GROUP BY " + ", ".join(group))
    having = render_conds(state.get("having"), args)
    if having:
        parts.append(" HAVING " + having)
    _order_limit(state, args, parts)
    return "".join(parts), args


def _insert(state: dict) -> tuple[str, list]:
    into = state.get("into")
    if not isinstance(into, str) or not into:
        raise invalid("insert statements must specify a table")
    rows = state.get("rows") or []
    select = state.get("select")
    if not rows and not select:
        raise invalid("insert statements must have at least one set of values or select clause")
    args: list = []
    parts = []
    prefixes = _clauses(state.get("prefixes"), args)
    if prefixes:
        parts.append(" ".join(prefixes) + " ")
    parts.append("INSERT ")
    options = _strings(state.get("options"))
    if options:
        parts.append(" ".join(options) + " ")
    parts.append(f"INTO {into} ")
    columns = _strings(state.get("columns"))
    if columns:
        parts.append("(" + ",".join(columns) + ") ")
    if select:
        sql, sargs = _select(select)
        parts.append(sql)
        args.extend(sargs)
    else:
        groups = []
        for row in rows:
            items = row if isinstance(row, list) else _packed(row)
            groups.append("(" + ",".join(_value(v, args) for v in items) + ")")
        parts.append("VALUES " + ",".join(groups))
    suffixes = _clauses(state.get("suffixes"), args)
    if suffixes:
        parts.append(" " + " ".join(suffixes))
    return "".join(parts), args


def _packed(row: Any) -> list:
    """A row packed with table.pack in Lua: keep holes as None, no conversion yet."""
    if not isinstance(row, dict):
        return [row]
    n = row.get("n")
    if not isinstance(n, int):
        n = max((k for k in row if isinstance(k, int)), default=0)
    return [row.get(i) for i in range(1, n + 1)]


def _update(state: dict) -> tuple[str, list]:
    table = state.get("table")
    if not isinstance(table, str) or not table:
        raise invalid("update statements must specify a table")
    sets = [s for s in (state.get("set") or ()) if isinstance(s, dict)]
    if not sets:
        raise invalid("update statements must have at least one Set clause")
    args: list = []
    assignments = [f"{s.get('column')} = {_value(s.get('value'), args, True)}" for s in sets]
    parts = [f"UPDATE {table} SET ", ", ".join(assignments)]
    from_select = state.get("from_select")
    if isinstance(from_select, dict) and from_select.get("select"):
        sql, sargs = _select(from_select["select"])
        args.extend(sargs)
        parts.append(f" FROM ({sql}) AS {from_select.get('alias')}")
    elif isinstance(state.get("from"), str) and state["from"]:
        parts.append(" FROM " + state["from"])
    _where(state, args, parts)
    _order_limit(state, args, parts)
    return "".join(parts), args


def _delete(state: dict) -> tuple[str, list]:
    table = state.get("from")
    if not isinstance(table, str) or not table:
        raise invalid("delete statements must specify a From table")
    args: list = []
    parts = [f"DELETE FROM {table}"]
    _where(state, args, parts)
    _order_limit(state, args, parts)
    return "".join(parts), args


_RENDERERS = {"select": _select, "insert": _insert, "update": _update, "delete": _delete}
