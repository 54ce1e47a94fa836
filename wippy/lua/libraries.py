"""Which `library.lua` entries a Lua state has compiled, and in what order to compile them.

A handler's `imports` name libraries, which may import others. Each Lua state compiles
every library once, dependencies first (boot.lua `define_library`); the registry's graph
has already refused import cycles at load, so `closure` only has to order.
"""
from __future__ import annotations

from typing import Any, Callable

from .call import FunctionDef, LibraryDef


def closure(imports: tuple[tuple[str, LibraryDef], ...]) -> list[LibraryDef]:
    """Every library reachable from `imports`, each after the libraries it imports."""
    out: list[LibraryDef] = []
    done: set[str] = set()

    def visit(lib: LibraryDef, path: tuple[str, ...]) -> None:
        if lib.entry_id in done:
            return
        if lib.entry_id in path:   # the graph refuses cycles; this guards direct use
            cycle = " -> ".join(path[path.index(lib.entry_id):] + (lib.entry_id,))
            raise ValueError(f"library import cycle: {cycle}")
        for _, dep in lib.imports:
            visit(dep, path + (lib.entry_id,))
        done.add(lib.entry_id)
        out.append(lib)

    for _, lib in imports:
        visit(lib, ())
    return out


class StateLibraries:
    """The libraries one Lua state has compiled (used on that state's thread only)."""

    def __init__(self, api: Any, to_lua: Callable[[Any], Any]):
        self._api = api
        self._to_lua = to_lua
        self._compiled: dict[str, str] = {}        # library id -> source compiled here
        self._aliases: dict[str, tuple] = {}       # entry id -> (imports, Lua alias table)

    def aliases(self, fdef: FunctionDef) -> tuple[Any, str | None]:
        """The Lua table `alias -> library id` for `fdef`, once every library it reaches
        is compiled in this state; or (None, error) for a library that does not compile."""
        cached = self._aliases.get(fdef.entry_id)
        if cached is not None and cached[0] is fdef.imports:
            return cached[1], None
        for lib in closure(fdef.imports):
            if self._compiled.get(lib.entry_id) is lib.source:
                continue
            err = self._api.define_library(
                lib.entry_id, lib.source, self._to_lua(list(lib.modules)),
                self._to_lua({alias: dep.entry_id for alias, dep in lib.imports}))
            if err:
                return None, f"library {lib.entry_id}: {err}"
            self._compiled[lib.entry_id] = lib.source
        table = self._to_lua({alias: lib.entry_id for alias, lib in fdef.imports})
        self._aliases[fdef.entry_id] = (fdef.imports, table)
        return table, None
