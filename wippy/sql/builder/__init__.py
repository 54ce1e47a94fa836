"""The SQL query builder (`sql.builder` in Lua), squirrel-compatible output.

`render(state)` turns plain builder state into (sql, args); the Lua module
keeps its immutable builders as Lua tables and calls it once per `to_sql` /
`run_with`. Python code uses the fluent API in fluent.py.
"""
from .conditions import render_cond
from .fluent import (Cond, Delete, Executor, Insert, Select, Update, and_, delete, eq, expr,
                     gt, gte, insert, like, lt, lte, not_eq, not_like, or_, select, update)
from .render import PLACEHOLDERS, apply_placeholders, render

__all__ = ["Cond", "Delete", "Executor", "Insert", "PLACEHOLDERS", "Select", "Update", "and_",
           "apply_placeholders", "delete", "eq", "expr", "gt", "gte", "insert", "like", "lt",
           "lte", "not_eq", "not_like", "or_", "render", "render_cond", "select", "update"]
