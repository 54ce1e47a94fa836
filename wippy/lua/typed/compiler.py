"""compile(source, chunk_name): Wippy's typed Lua to plain Lua 5.4 for lupa.

Plain Lua passes through unchanged: a source Lua itself compiles has no type
syntax (every typed form is a syntax error in plain Lua), so the check is exact
and costs one C-level parse. Anything else goes through the typed parser, and
its output is compiled by Lua once more, so an error our parser let through is
still reported, on the user's own line. Results are cached per source text.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict

import lupa.lua54 as lupa

from .emitter import RUNTIME, apply_edits
from .errors import TypedLuaSyntaxError
from .parser import Parser

CACHE_SIZE = 2048
_local = threading.local()
_cache: OrderedDict[str, tuple[str | None, tuple | None]] = OrderedDict()
_cache_lock = threading.Lock()
_LUA_ERROR = re.compile(r"^\?:(\d+): (.*)$", re.S)
_AT_LINE = re.compile(r" at line (\d+)$")


def _lua_check(source: str) -> str | None:
    """Lua's own syntax check (no code runs); the error text or None."""
    check = getattr(_local, "check", None)
    if check is None:
        rt = lupa.LuaRuntime(register_eval=False, register_builtins=False)
        check = _local.check = rt.eval(
            "function(src) local f, err = load(src, '=?', 't', {}) return err end")
    return check(source)


def _translate(source: str) -> tuple[str | None, tuple | None]:
    """(compiled, None) or (None, (message, line, column)) — no chunk name: cacheable."""
    if _lua_check(source) is None:
        return source, None
    try:
        parser = Parser(source, "?")
        parser.parse_chunk()
    except TypedLuaSyntaxError as exc:
        return None, (exc.message, exc.line, exc.column)
    except RecursionError:
        return None, ("chunk has too many syntax levels", 1, 1)
    prefix = ""
    if parser.uses_runtime or parser.hoisted:
        names = "".join(", " + n for n in parser.hoisted)
        prefix = f"local {RUNTIME}{names} = {RUNTIME}; "
    out = apply_edits(source, parser.edits, prefix)
    err = _lua_check(out)
    if err is not None:
        m = _LUA_ERROR.match(err)
        line, message = (int(m.group(1)), m.group(2)) if m else (1, err)
        at = _AT_LINE.search(message)   # "break outside loop at line 3" is found at the end
        if at:
            line = int(at.group(1))
        return None, (message, line, 0)
    return out, None


def compile(source: str, chunk_name: str) -> str:
    """Plain Lua for `source`; raises TypedLuaSyntaxError naming chunk, line and column."""
    if source.startswith("\x1bLua"):
        return source   # a binary chunk: the loader refuses it with its own clear message
    with _cache_lock:
        hit = _cache.get(source)
        if hit is not None:
            _cache.move_to_end(source)
    if hit is None:
        hit = _translate(source)
        with _cache_lock:
            _cache[source] = hit
            if len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
    out, err = hit
    if err is not None:
        message, line, column = err
        raise TypedLuaSyntaxError(message, chunk_name, line, column, source)
    return out
