"""`wippy lint`: argument counts (E0005) and literal argument types (E0001) on
calls of annotated local functions; the W0001, W0003 and W0006 rules."""
from __future__ import annotations

from wippy.lua.typed.lint import lint


def codes(source: str, rules: bool = False, modules=()):
    return [(d.line, d.code, d.message) for d in lint(source, "app:t", modules=modules, rules=rules)
            if rules or d.code[0] != "W"]


def test_the_linter_guide_example():
    assert codes('''local function add(a: number, b: number): number
    return a + b
end

add("one", "two")
''') == [(5, "E0001", "string not assignable to number"),
         (5, "E0001", "string not assignable to number")]


def test_argument_counts_of_local_functions():
    assert codes('''type Opts = {verbose: boolean}
local function add(a: number, b: number): number return a + b end
local function opt(a: number, b: number?, c: Opts?) return a + (b or 0), c end
local function va(fmt: string, ...: any) return fmt end
local function gen<T>(x: T, y: any) return x, y end
local pick = function(a: string, b: integer) return a, b end
add(1)
add(1, 2, 3)
add(1, 2)
opt()
opt(1)
opt(1, 2, {verbose = true}, 4)
va()
va("x", 1, 2, 3)
gen()
gen(1)
pick("a")
pick("a", 1)
local function many() return 1, 2 end
add(many())
add(1, many())
add(1, ...)
opt(1, 2, 3, many())
''') == [
        (7, "E0005", "function 'add' expects 2 arguments, got 1"),
        (8, "E0005", "function 'add' expects 2 arguments, got 3"),
        (10, "E0005", "function 'opt' expects 1 to 3 arguments, got 0"),
        (12, "E0005", "function 'opt' expects 1 to 3 arguments, got 4"),
        (13, "E0005", "function 'va' expects at least 1 argument, got 0"),
        (17, "E0005", "function 'pick' expects 2 arguments, got 1"),
        (23, "E0001", "integer not assignable to Opts?"),   # 4 or more values: no count error
    ]


def test_literal_argument_types():
    assert codes('''type Status = "pending" | "done"
local function f(n: number, i: integer, s: string, st: Status, b: boolean?, t: {string})
    return n, i, s, st, b, t
end
f(1, 2, "a", "done", nil, {})
f(1.5, 2, "a", "pending", true, {"x"})
f("x", 1.5, 3, "bad", "no", "str")
''') == [
        (7, "E0001", "string not assignable to number"),
        (7, "E0001", "number not assignable to integer"),
        (7, "E0001", "integer not assignable to string"),
        (7, "E0001", '"bad" not assignable to Status'),
        (7, "E0001", "string not assignable to boolean?"),
        (7, "E0001", "string not assignable to {string}"),
    ]


def test_functions_not_checked():
    # untyped parameters, reassigned locals, globals, methods, fields: nothing known
    assert codes('''local function plain(a, b) return a, b end
plain()
plain(1, 2, 3)
local function later(a: number) return a end
later = function() end
later()
function global_f(a: number) return a end
global_f()
local t = {}
function t.f(a: number) return a end
t.f()
t:f()
local function rec(n: number): number
    if n > 0 then return rec(n - 1) end
    return rec(0, 1)
end
print(rec)
''', modules=()) == [(15, "E0005", "function 'rec' expects 1 argument, got 2")]


def test_rules_w0001_w0003_w0006():
    source = '''local json = require("json")
local time = require("time")
local yaml = require("yaml")
local x = yaml.encode({})
if x == x then end
if x.a.b ~= x.a.b then print(1) elseif x then else print(2) end
while x do end
do end
print(time.now(), x == y, f() == f(), x.a == x.b, x[1] == x[1])
local function noop() end
noop()
'''
    assert [c for c in codes(source, rules=True) if c[1] != "E0002"] == [
        (1, "W0006", "unused import 'json'"),
        (5, "W0001", "empty if block"),
        (5, "W0003", "comparison of 'x' with itself"),
        (6, "W0003", "comparison of 'x.a.b' with itself"),
        (6, "W0001", "empty elseif block"),
        (8, "W0001", "empty do block"),
    ]
