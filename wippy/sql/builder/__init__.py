"""The SQL query builder (`sql.builder` in Lua), squirrel-compatible output.

`render(state)` turns plain builder state into (sql, args); the Lua module
keeps its immutable builders as Lua tables and calls it once per `to_sql` /
`run_with`. (The tests drive the same renderer through a small Python fluent API,
tests/sql/fluent.py.)
"""
from .conditions import render_cond
from .render import PLACEHOLDERS, apply_placeholders, render

__all__ = ["PLACEHOLDERS", "apply_placeholders", "render", "render_cond"]
