"""LuaLS stubs: every function of every Lua module has one, typed where the module
declares signatures, and the declared signatures name real functions (no drift)."""
from __future__ import annotations

import re

import lupa.lua54 as lupa
import pytest

from wippy.lua.modules import MODULES
from wippy.lua.modules.base import LuaModule
from wippy.lua.stubs.editor import generate
from wippy.lua.stubs.signatures import SignatureError, module_signatures, parse
from wippy.lua.stubs.walk import module_shapes


@pytest.fixture(scope="module")
def shapes():
    return module_shapes()


@pytest.fixture(scope="module")
def stubs():
    return generate()


def declared(text: str, module: str, path: str) -> bool:
    dotted = re.escape(f"{module}.{path}")
    if re.search(rf"^function {dotted}\(", text, re.M):
        return True
    obj, _, key = path.rpartition(".")
    target = re.escape(f"{module}.{obj}" if obj else module)
    return re.search(rf'^{target}\["{re.escape(key)}"\] = function\(', text, re.M) is not None


def test_every_module_has_a_stub_file(stubs):
    assert set(stubs) == set(MODULES)


def test_every_module_function_has_a_stub(shapes, stubs):
    missing = [f"{name}.{path}" for name, shape in shapes.items()
               for path in shape.functions if not declared(stubs[name], name, path)]
    assert not missing, f"functions without a stub: {missing}"
    # the walk really found the functions (an empty walk would pass the line above)
    assert "write_json" not in shapes["http"].functions   # a method, not a module function
    assert {"request", "response"} <= set(shapes["http"].functions)
    assert sum(len(s.functions) for s in shapes.values()) > 200


def test_declared_signatures_name_real_functions(shapes):
    stale = []
    for name, module in MODULES.items():
        sigs = module_signatures(module)
        if sigs is None:
            continue
        stale += [f"{name}.{fn}" for fn in sigs.functions if fn not in shapes[name].functions]
    assert not stale, f"signatures of functions the module does not have: {stale}"


def test_modules_with_signatures_type_every_function(shapes):
    untyped = []
    for name, module in MODULES.items():
        sigs = module_signatures(module)
        if sigs is None:
            continue
        untyped += [f"{name}.{fn}" for fn in shapes[name].functions if fn not in sigs.functions]
    assert not untyped, f"add these to the module's signatures.py: {untyped}"


def test_stubs_are_valid_lua_and_carry_meta(stubs):
    lua = lupa.LuaRuntime()
    check = lua.eval("function(text, name) local f, err = load(text, name); return err end")
    for name, text in stubs.items():
        assert text.startswith(f"---@meta {name}\n")
        assert check(text, name) is None, (name, check(text, name))
        assert text.rstrip().endswith(f"return {name}")


def test_http_response_methods_are_typed(stubs):
    text = stubs["http"]
    assert "---@return http.Response?\n---@return errors.Error?\nfunction http.response() end" in text
    assert "---@class http.Response" in text
    assert "---@param value any\n---@return errors.Error?\nfunction __http_Response:write_json(value) end" in text
    assert "    NOT_FOUND = 404," in text        # constants with their values


class _NewModule(LuaModule):
    name = "brand_new"
    lua = """return function(host, lib)
        return {greet = function() end, sub = {deep = function() end, ["end"] = function() end},
                LIMIT = 3, MODE = "fast"}
    end"""


def test_a_module_without_signatures_still_gets_every_function():
    stub = generate({"brand_new": _NewModule()})["brand_new"]
    assert "---@param ... any\n---@return any ...\nfunction brand_new.greet(...) end" in stub
    assert "function brand_new.sub.deep(...) end" in stub
    assert 'brand_new.sub["end"] = function(...) end' in stub
    assert "brand_new.LIMIT = 3" in stub and 'brand_new.MODE = "fast"' in stub
    lua = lupa.LuaRuntime()
    assert lua.eval("function(t) local f, e = load(t); return e end")(stub) is None


def test_signature_errors_name_the_line():
    with pytest.raises(SignatureError, match="line 3: parameter 'x' of f has no type"):
        parse("\ng(): string\nf(x): string\n")
    with pytest.raises(SignatureError, match="line 1: g is declared twice|line 2: g is declared twice"):
        parse("g()\ng()\n")
