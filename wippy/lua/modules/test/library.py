"""`wippy.test:test`: the library id Wippy's test entries import the framework by
(`imports: {test: wippy.test:test}`, en/framework/testing.md). In Go Wippy it comes
from the `wippy/test` hub module; here the `test` module is built in, so when an
entry imports that id and no entry defines it, the registry gets a one-line library
that hands out the built-in module. `modules: [test]` works as well.
"""
from __future__ import annotations

from ....errors import Origin
from ....registry.entry import Entry

LIBRARY_ID = "wippy.test:test"
SOURCE = 'return require("test")\n'


def _imports_it(entry: Entry) -> bool:
    imports = entry.data.get("imports")
    return isinstance(imports, dict) and LIBRARY_ID in imports.values()


def with_test_library(entries: list[Entry]) -> list[Entry]:
    """`entries`, plus the built-in `wippy.test:test` library when something imports it."""
    if not any(_imports_it(e) for e in entries) or any(e.id == LIBRARY_ID for e in entries):
        return entries
    namespace, name = LIBRARY_ID.split(":")
    return entries + [Entry(namespace=namespace, name=name, kind="library.lua",
                            data={"source": SOURCE, "modules": ["test"]},
                            origin=Origin("<built in: the test module, docs/modules/test.md>"))]
