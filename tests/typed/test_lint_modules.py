"""`wippy lint` on calls into our own modules: argument counts (E0005) and literal
argument types (E0001) from each module's signature table (signatures.py, the one
the editor stubs are made from)."""
from __future__ import annotations

from wippy.lua.typed.lint import lint
from wippy.lua.typed.lint_modules import literal_verdict, signatures


def codes(source: str, modules=()):
    return [(d.line, d.code, d.message) for d in lint(source, "app:t", modules=modules)
            if d.code != "E0002"]


def test_calls_checked_against_the_signature_tables():
    assert signatures("json") is not None and signatures("time") is not None
    assert codes('''local json = require("json")
local time = require("time")
local crypto = require("crypto")
local logger = require("logger")
local process = require("process")
json.encode()
json.encode({}, 1)
json.encode({a = 1})
time.sleep("x")
time.sleep("250ms")
time.sleep(100)
time.sleep(true)
time.unix("a", 0)
crypto.random.bytes("n")
crypto.pbkdf2("p", "s", 1, 32, "md5")
crypto.pbkdf2("p", "s", 1, 32, "sha512")
logger:info("method calls are not checked")
process.send()
process.send("pid", "topic", 1, 2, 3)
json.encode(json.decode("1"))
json.nosuch(1, 2)
''') == [
        (6, "E0005", "function 'json.encode' expects 1 argument, got 0"),
        (7, "E0005", "function 'json.encode' expects 1 argument, got 2"),
        (9, "E0001", '"x" not assignable to time.DurationLike: not a duration '
                     '("1s", "250ms", "1h30m")'),
        (12, "E0001", "boolean not assignable to time.DurationLike"),
        (13, "E0001", "string not assignable to integer"),
        (14, "E0001", "string not assignable to integer"),
        (15, "E0001", '"md5" not assignable to "sha256"|"sha512"'),
        (18, "E0005", "function 'process.send' expects at least 2 arguments, got 0"),
    ]


def test_module_globals_and_shadowing():
    # a declared module used as a global is checked; a local of the same name is not it
    assert codes('''json.encode()
local function f(json) return json.encode() end
local time = {sleep = function() end}
time.sleep("x")
local t = require("time")
t = nil
print(f, t.sleep("x"))
''', modules=["json", "time"]) == [(1, "E0005", "function 'json.encode' expects 1 argument, got 0")]


def test_literal_verdicts_of_luals_types():
    aliases = {"D": "time.Duration|integer|string"}
    classes = frozenset({"time.Duration"})

    def v(t, kind, value=""):
        return literal_verdict(t, kind, value, aliases, classes)
    assert v("string", "string") and v("number", "integer") and v("any", "boolean")
    assert v("string?", "nil") and v("D", "integer") and v('"a"|"b"', "string", "b")
    assert v("integer", "number") is False and v("table<string, any>", "string") is False
    assert v("fun()", "integer") is False and v("string[]", "string") is False
    assert v("time.Duration", "string") is False and v("{a: integer}", "boolean") is False
    assert v('"a"|"b"', "string", "c") is False and v("true", "boolean", "false") is False
    assert v("error", "string") is None and v("other.Class|table", "string") is None


def test_every_documented_process_registry_form_passes():
    # en/lua/core/process.md: register(name, pid?, scope?), unregister(name, scope?)
    assert codes('''local R = process.registry
process.registry.register("a")
process.registry.register("a", process.pid(), process.registry.LOCAL)
process.registry.lookup("a")
process.registry.unregister("a")
process.registry.unregister("a", process.registry.LOCAL)
process.registry.unregister()
''', modules=("process",)) == [
        (7, "E0005", "function 'process.registry.unregister' expects 1 to 2 arguments, got 0")]
