"""A Python fluent builder over the real renderer, used by the tests (same names as in Lua).

    q = select("id", "status").from_("tasks").where({"status": "done"}).limit(10)
    sql, args = q.to_sql()
    rows = await q.run_with(db).query()

Every method returns a new builder holding a new plain `state` dict (the
same shape Lua sends, see render.py). Values are sanitised when stored, as
in Lua: scalars and bytes stay, `expr()`/`select()` objects become
sub-expressions, anything else (dicts, lists) becomes NULL, so data from a
request can never turn into SQL.
"""
from __future__ import annotations

from typing import Any

from wippy.sql.builder.conditions import invalid, render_cond
from wippy.sql.builder.render import PLACEHOLDERS, render

_SCALARS = (str, int, float, bool, bytes)


class Cond:
    """A condition (squirrel Sqlizer): expr, eq, lt, ..., and_, or_."""

    def __init__(self, state: dict):
        self.state = state

    def to_sql(self) -> tuple[str, list]:
        return render_cond(self.state)


def _value(v: Any) -> Any:
    if v is None or isinstance(v, _SCALARS):
        return v
    if isinstance(v, (Cond, _Builder)):
        return v.state
    return None


def _map(m: Any) -> dict:
    if not isinstance(m, dict):
        raise invalid("expected table")
    return {k: _value(v) for k, v in m.items() if isinstance(k, str)}


def _cond(cond: Any, args: tuple) -> dict | None:
    if isinstance(cond, str):
        return {"cond": "raw", "sql": cond, "args": [_value(a) for a in args]} if cond else None
    if isinstance(cond, Cond):
        return cond.state
    if isinstance(cond, dict):
        return {"cond": "eq", "map": _map(cond)}
    raise invalid("expected string, table, or Sqlizer")


def expr(sql: str, *args: Any) -> Cond:
    return Cond({"cond": "expr", "sql": sql, "args": [_value(a) for a in args]})


def _map_cond(kind: str):
    def build(mapping: Any, value: Any = ..., /) -> Cond:
        if isinstance(mapping, str) and value is not ...:
            mapping = {mapping: value}   # eq("col", v) shorthand
        return Cond({"cond": kind, "map": _map(mapping)})
    build.__name__ = kind
    return build


eq, not_eq, lt, lte, gt, gte, like, not_like = (
    _map_cond(k) for k in ("eq", "not_eq", "lt", "lte", "gt", "gte", "like", "not_like"))


def _conj(kind: str, parts: Any) -> Cond:
    conds = [_cond(p, ()) for p in parts]
    return Cond({"cond": kind, "parts": [c for c in conds if c is not None]})


def and_(parts: list) -> Cond:
    return _conj("and", parts)


def or_(parts: list) -> Cond:
    return _conj("or", parts)


class _Builder:
    def __init__(self, state: dict):
        self.state = state

    def _with(self, **changes: Any) -> Any:
        return type(self)({**self.state, **changes})

    def _append(self, key: str, *items: Any) -> Any:
        return self._with(**{key: [*self.state.get(key, ()), *items]})

    def placeholder_format(self, fmt: str) -> Any:
        if fmt not in PLACEHOLDERS:
            raise invalid("expected placeholder format")
        return self._with(placeholder=fmt)

    def suffix(self, sql: str, *args: Any) -> Any:
        return self._append("suffixes", {"sql": sql, "args": [_value(a) for a in args]})

    def to_sql(self) -> tuple[str, list]:
        return render(self.state)

    def run_with(self, runner: Any) -> "Executor":
        sql, args = self.to_sql()
        return Executor(runner, sql, args)


class _Filtered(_Builder):
    """where / order_by / limit / offset, shared by select, update and delete."""

    def where(self, cond: Any, *args: Any) -> Any:
        c = _cond(cond, args)
        return self if c is None else self._append("where", c)

    def order_by(self, *exprs: str) -> Any:
        return self._append("order_by", *exprs)

    def limit(self, n: int) -> Any:
        return self._with(limit=max(0, int(n)))

    def offset(self, n: int) -> Any:
        return self._with(offset=max(0, int(n)))


class Select(_Filtered):
    def from_(self, table: str) -> "Select":
        return self._with(**{"from": table})

    def _join(self, kind: str, clause: str, args: tuple) -> "Select":
        return self._append("joins", {"sql": f"{kind} {clause}",
                                      "args": [_value(a) for a in args]})

    def join(self, clause: str, *args: Any) -> "Select":
        return self._join("JOIN", clause, args)

    def left_join(self, clause: str, *args: Any) -> "Select":
        return self._join("LEFT JOIN", clause, args)

    def right_join(self, clause: str, *args: Any) -> "Select":
        return self._join("RIGHT JOIN", clause, args)

    def inner_join(self, clause: str, *args: Any) -> "Select":
        return self._join("INNER JOIN", clause, args)

    def group_by(self, *exprs: str) -> "Select":
        return self._append("group_by", *exprs)

    def having(self, cond: Any, *args: Any) -> "Select":
        c = _cond(cond, args)
        return self if c is None else self._append("having", c)

    def columns(self, *cols: str) -> "Select":
        return self._append("columns", *cols)

    def distinct(self) -> "Select":
        return self._with(distinct=True)


class Insert(_Builder):
    def into(self, table: str) -> "Insert":
        return self._with(into=table)

    def columns(self, *cols: str) -> "Insert":
        return self._append("columns", *cols)

    def values(self, *vals: Any) -> "Insert":
        return self._append("rows", [_value(v) for v in vals])

    def set_map(self, mapping: dict) -> "Insert":
        m = _map(mapping)
        cols = sorted(m)
        return self._with(columns=cols, rows=[[m[c] for c in cols]])

    def select(self, query: "Select") -> "Insert":
        return self._with(select=query.state)

    def prefix(self, sql: str, *args: Any) -> "Insert":
        return self._append("prefixes", {"sql": sql, "args": [_value(a) for a in args]})

    def options(self, *opts: str) -> "Insert":
        return self._append("options", *opts)


class Update(_Filtered):
    def table(self, table: str) -> "Update":
        return self._with(table=table)

    def set(self, column: str, value: Any) -> "Update":
        return self._append("set", {"column": column, "value": _value(value)})

    def set_map(self, mapping: dict) -> "Update":
        m = _map(mapping)
        return self._append("set", *({"column": c, "value": m[c]} for c in sorted(m)))

    def from_(self, table: str) -> "Update":
        return self._with(**{"from": table, "from_select": None})

    def from_select(self, query: "Select", alias: str) -> "Update":
        return self._with(**{"from": None, "from_select": {"select": query.state, "alias": alias}})


class Delete(_Filtered):
    def from_(self, table: str) -> "Delete":
        return self._with(**{"from": table})


def select(*columns: str) -> Select:
    return Select({"type": "select", "columns": list(columns)})


def insert(table: str = "") -> Insert:
    return Insert({"type": "insert", "into": table})


def update(table: str = "") -> Update:
    return Update({"type": "update", "table": table})


def delete(table: str = "") -> Delete:
    return Delete({"type": "delete", "from": table})


class Executor:
    """`run_with(db_or_tx)`: SQL rendered once, run with query() or exec()."""

    def __init__(self, runner: Any, sql: str, args: list):
        self.runner, self.sql, self.args = runner, sql, args

    async def query(self) -> list[dict]:
        return await self.runner.query(self.sql, self.args)

    async def exec(self) -> dict:
        return await self.runner.execute(self.sql, self.args)

    def to_sql(self) -> tuple[str, list]:
        return self.sql, list(self.args)
