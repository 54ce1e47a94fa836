"""library.lua entries and `imports:` through the real engine and the real registry."""
from __future__ import annotations

import asyncio

import pytest

from wippy.errors import TIMEOUT, ConfigErrors
from wippy.lua.engine import LuaEngine
from wippy.registry.loader import load_entries
from wippy.runtime import Runtime, check

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
async def engine():
    e = LuaEngine({}, workers=1, budget=2.0)
    await e.start()
    try:
        yield e
    finally:
        await e.close()


async def test_require_by_alias_and_global_alias(engine):
    fmt = engine.library("app.lib:fmt", "local M = {} function M.bold(s) return '*' .. s .. '*' end "
                         "return M")
    f = engine.define("app:fn", "local f = require('fmt')\n"
                      "return {main = function(s) return f.bold(s), fmt.bold('x'), "
                      "rawequal(f, fmt) end}", "main", imports={"fmt": fmt})
    r = await engine.call(f, ("hi",))
    assert r.values == ["*hi*", "*x*", True], r.error


async def test_a_library_has_its_own_modules_and_nothing_of_its_importer(engine):
    lib = engine.library("app.lib:enc", "return {enc = function(v) return json.encode(v) end, "
                         "seen = function() return type(uuid), type(secret), type(sql) end}",
                         ["json"])
    f = engine.define("app:fn", "secret = 1\nreturn {main = function() "
                      "return lib.enc({1}), type(json), lib.seen() end}", "main", ["uuid"],
                      imports={"lib": lib})
    r = await engine.call(f)
    assert r.values == ["[1]", "nil", "nil", "nil", "nil"], r.error


async def test_libraries_import_libraries_and_share_one_instance_per_call(engine):
    counter = engine.library("app.lib:counter", "local n = 0\n"
                             "return {inc = function() n = n + 1 return n end}")
    a = engine.library("app.lib:a", "local c = require('c') return {go = function() "
                       "return c.inc() end}", imports={"c": counter})
    b = engine.library("app.lib:b", "local c = require('c') return {go = function() "
                       "return c.inc() end}", imports={"c": counter})
    f = engine.define("app:fn", "return {main = function() return a.go(), b.go(), a.go() end}",
                      "main", imports={"a": a, "b": b})
    for _ in range(3):   # one counter per call, shared by a and b within it, fresh each call
        r = await engine.call(f)
        assert r.values == [1, 2, 3], r.error


async def test_library_code_is_compiled_once_per_state(engine):
    lib = engine.library("app.lib:l", "return {v = function() return 42 end}")
    f = engine.define("app:fn", "return {main = function() return l.v() end}", "main",
                      imports={"l": lib})
    assert (await engine.call(f)).values == [42]
    state = engine._inline.libraries
    defined = []
    real = state._api

    class Counting:
        def define_library(self, *args):
            defined.append(args[0])
            return real.define_library(*args)
    state._api = Counting()
    for _ in range(20):
        assert (await engine.call(f)).values == [42]
    assert defined == []
    # A changed library (a new definition) is compiled once, then reused.
    lib2 = engine.library("app.lib:l", "return {v = function() return 7 end}")
    f2 = engine.define("app:fn", "return {main = function() return l.v() end}", "main",
                       imports={"l": lib2})
    for _ in range(5):
        assert (await engine.call(f2)).values == [7]
    assert defined == ["app.lib:l"]


async def test_library_results_of_other_shapes(engine):
    fn_lib = engine.library("app.lib:fn", "return function(x) return x * 2 end")
    nil_lib = engine.library("app.lib:nothing", "local x = 1")
    f = engine.define("app:fn", "return {main = function() local d = require('double') "
                      "return d(21), require('nothing'), type(d) end}", "main",
                      imports={"double": fn_lib, "nothing": nil_lib})
    r = await engine.call(f)
    assert r.values == [42, True, "function"], r.error


async def test_errors_in_library_code_name_the_library_line(engine):
    lib = engine.library("app.lib:bad", "local M = {}\nfunction M.f()\n  error('boom')\nend\n"
                         "function M.e() local e = errors.new('x'); return e end\nreturn M")
    f = engine.define("app:fn", "return {main = function() return bad.f() end}", "main",
                      imports={"bad": lib})
    r = await engine.call(f)
    assert r.raised and "app.lib:bad:3: boom" in r.error.message
    f = engine.define("app:fn2", "return {main = function()\nlocal e = bad.e()\n"
                      "return errors.call_stack(e).frames end}", "main", imports={"bad": lib})
    r = await engine.call(f)
    frames = r.values[0]
    assert frames[0]["source"] == "app.lib:bad" and frames[0]["line"] == 5
    assert frames[1]["source"] == "app:fn2" and frames[1]["line"] == 2


async def test_a_library_whose_top_level_fails_fails_the_call(engine):
    lib = engine.library("app.lib:broken", "local x = nil\nreturn {v = x.y}")
    f = engine.define("app:fn", "return {main = function() return require('b').v end}", "main",
                      imports={"b": lib})
    r = await engine.call(f)
    assert r.raised and "app.lib:broken:2" in r.error.message


async def test_library_code_runs_under_the_call_budget(engine):
    lib = engine.library("app.lib:spin", "return {spin = function() while true do end end}")
    f = engine.define("app:fn", "return {main = function() spin.spin() end}", "main",
                      imports={"spin": lib}, budget=0.3)
    r = await engine.call(f)
    assert r.raised and r.error.kind == TIMEOUT


async def test_a_library_syntax_error_is_refused_at_definition(engine):
    with pytest.raises(Exception, match="app.lib:syntax:1"):
        engine.library("app.lib:syntax", "return {")


# ------------------------------------------------------------ registry
LIBS = """namespace: app.lib
entries:
  - name: strings
    kind: library.lua
    source: |
      local M = {}
      function M.shout(s) return s:upper() .. "!" end
      function M.json(v) return json.encode(v) end
      return M
    modules: [json]
  - name: greet
    kind: library.lua
    source: |
      local strings = require("strings")
      return {hello = function(n) return strings.shout("hello " .. n) end}
    imports:
      strings: strings          # a bare name: this entry's namespace
"""
FUNCS = """namespace: app
entries:
  - name: hello
    kind: function.lua
    source: |
      local greet = require("greet")
      return {main = function(n) return greet.hello(n), (require("s").json({n})) end}
    method: main
    imports:
      greet: app.lib:greet
      s: app.lib:strings
  - name: proc
    kind: process.lua
    source: |
      return {main = function() return require("greet").hello("proc") end}
    method: main
    imports: {greet: app.lib:greet}
"""


def registry(tmp_path, *texts):
    for i, text in enumerate(texts):
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / f"f{i}.yaml").write_text(text)
    return load_entries([tmp_path / "src"])


def problems(tmp_path, *texts) -> str:
    with pytest.raises(ConfigErrors) as info:
        check(registry(tmp_path, *texts))
    return str(info.value)


async def test_registry_builds_libraries_before_their_importers(tmp_path):
    async with Runtime(registry(tmp_path, LIBS, FUNCS)) as rt:
        r = await rt.engine.call(rt.objects["app:hello"], ("ann",))
        assert r.values == ["HELLO ANN!", '["ann"]'], r.error
        r = await rt.engine.call(rt.objects["app:proc"])
        assert r.values == ["HELLO PROC!"], r.error


def test_an_import_cycle_is_a_load_error_naming_the_cycle(tmp_path):
    text = problems(tmp_path, """namespace: app
entries:
  - {name: a, kind: library.lua, source: "return {}", imports: {b: app:b}}
  - {name: b, kind: library.lua, source: "return {}", imports: {c: app:c}}
  - {name: c, kind: library.lua, source: "return {}", imports: {a: app:a}}
""")
    assert "cycle" in text and "app:a -> app:b -> app:c -> app:a" in text, text


def test_import_problems_name_the_field(tmp_path):
    text = problems(tmp_path, """namespace: app
entries:
  - {name: lib, kind: library.lua, source: "return {"}
  - {name: f, kind: function.lua, source: "return {}", method: main, imports: {x: app:f}}
  - {name: g, kind: function.lua, source: "return {}", method: main, imports: {l: app:lbi}}
  - {name: h, kind: function.lua, source: "return {}", method: main, modules: [json],
     imports: {json: app:lib, l: 5}}
  - {name: lib2, kind: library.lua, source: "return {}", modules: [nope], method: main}
""")
    assert "imports.x -> app:f: an entry cannot depend on itself" in text, text
    assert "imports.l -> app:lbi not found (did you mean app:lib?)" in text, text
    assert "alias 'json' would hide the module of that name" in text, text
    assert "Lua syntax error" in text and "app:lib" in text, text
    assert "unknown field method" in text or "method" in text, text


def test_an_import_must_name_a_library(tmp_path):
    text = problems(tmp_path, """namespace: app
entries:
  - {name: f, kind: function.lua, source: "return {}", method: main}
  - {name: g, kind: function.lua, source: "return {}", method: main, imports: {f: app:f}}
""")
    assert "imports.f -> app:f is a function.lua, expected library.lua" in text, text
