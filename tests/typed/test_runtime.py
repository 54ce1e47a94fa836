"""Runtime type values in the real sandboxed engine (en/lua/types.md "Type Casts",
"Type:is()", "Type Reflection", "Type Validators") and line preservation."""
from __future__ import annotations

import asyncio

import pytest

from tests.lua_helpers import run_lua

TYPES = """
type Address = {street: string, zip: string}
type User = {name: string @min_len(1) @max_len(20), age: integer @min(0) @max(150),
             email: string? @pattern("^[^@]+@[^@]+$"), address: Address?}
type Wrapper = {user: User}
type Status = "pending" | "active" | "done"
type Shape = {kind: "circle", r: number} | {kind: "rect", w: number, h: number}
type Scores = {number @min(0) @max(100)}
type Tags = {[string]: string}
type Id = number @min(1) | string @min_len(1)
type Node = {value: number, next: Node?}
"""


def run(body: str, *args):
    src = TYPES + "local function main(...)\n" + body + "\nend\nreturn {main = main}\n"
    return asyncio.run(run_lua(src, args=args))


def values(body: str, *args):
    result = run(body, *args)
    assert not result.raised, result.error
    return result.values


def test_a_failed_cast_names_the_field_path_and_the_users_line():
    result = run("local w = Wrapper({user = {name = 'a', age = 3, address = {street = 's', zip = 5}}})")
    assert result.raised
    # TYPES has 11 lines (leading newline), `main` starts on 12: the cast is on line 13.
    assert str(result.error) == "test:fn:13: user.address.zip: expected string, got number"


@pytest.mark.parametrize("value, message", [
    ("'x'", "expected User, got string"),
    ("{name = 'a'}", "age: expected integer, got nil"),
    ("{name = 'a', age = 1.5}", "age: expected integer, got number (1.5)"),
    ("{name = '', age = 1}", "name: length must be >= 1, got 0"),
    ("{name = ('n'):rep(21), age = 1}", "name: length must be <= 20, got 21"),
    ("{name = 'a', age = -1}", "age: must be >= 0, got -1"),
    ("{name = 'a', age = 151}", "age: must be <= 150, got 151"),
    ("{name = 'a', age = 1, email = 'nope'}", 'email: does not match pattern "^[^@]+@[^@]+$"'),
])
def test_is_returns_nil_and_an_error_naming_what_is_wrong(value, message):
    ok, err, kind = values(f"local v, err = User:is({value})\nreturn v, tostring(err), err:kind()")
    assert ok is None and err == message and kind == "Invalid"


def test_is_returns_the_value_and_nil_when_valid():
    got = values("local u = {name = 'ann', age = 3.0, email = 'a@b'}\n"
                 "local v, err = User:is(u)\nreturn rawequal(v, u), err, User(u).age")
    assert got == [True, None, 3.0]


def test_unions_literals_tagged_unions_arrays_and_maps():
    got = values("""
        local r = {}
        r[1] = select(2, Status:is('nope')) and tostring(select(2, Status:is('nope')))
        r[2] = Status('done')
        r[3] = tostring(select(2, Shape:is({kind = 'rect', w = 1})))
        r[4] = tostring(select(2, Shape:is({kind = 'hexagon'})))
        r[5] = tostring(select(2, Scores:is({1, 101})))
        r[6] = tostring(select(2, Scores:is({1, x = 2})))
        r[7] = tostring(select(2, Tags:is({a = 'x', ['b c'] = 2})))
        r[8] = tostring(select(2, Id:is(0)))
        r[9] = Id('x') .. Id(1)
        return r""")[0]
    assert got == [
        "expected Status, got string",                   # an alias is named
        "done",
        "h: expected number, got nil",                   # the member whose tag matched
        "expected Shape, got table",
        "[2]: must be <= 100, got 101",
        'expected array, got table with key "x"',
        '["b c"]: expected string, got number',
        "expected Id, got number",                      # 0 fails number's @min(1)
        "x1"]


def test_primitive_casts():
    got = values("""
        local r = {string('s'), integer(3.0), number(2), boolean(false), math.type(integer(3.0))}
        local ok, e1 = pcall(string, 5)
        local ok2, e2 = pcall(integer, 1.5)
        r[6], r[7] = e1, e2
        r[9] = select(2, pcall(integer, "3"))
        r[8] = string.upper('still the library')
        return r""")[0]
    assert got == ["s", 3, 2, False, "integer", "expected string, got number",
                   "expected integer, got number (1.5)", "STILL THE LIBRARY",
                   "expected integer, got string"]


def test_reflection():
    got = values("""
        local r = {}
        r.kinds = Number:kind() .. ' ' .. User:kind() .. ' ' .. User:name() .. ' ' .. Status:kind()
        local names = {}
        for n, t in User:fields() do names[#names + 1] = n .. ':' .. t:kind() end
        r.fields = table.concat(names, ',')
        r.field = User.name:kind() .. ' ' .. User.address:inner():name()
        local arr: {number} = {1, 2}
        local map: {[string]: integer} = {}
        local opt: number? = nil
        local fn: (number, string) -> boolean
        r.elem = typeof(arr):elem():kind()
        r.map = typeof(map):key():kind() .. ' ' .. typeof(map):val():kind()
        r.opt = typeof(opt):kind() .. ' ' .. typeof(opt):inner():kind()
        local ps = {}
        for p in typeof(fn):params() do ps[#ps + 1] = p:kind() end
        r.fn = table.concat(ps, ',') .. ' -> ' .. typeof(fn):ret():kind()
        local vs = {}
        for v in Status:variants() do vs[#vs + 1] = tostring(v) end
        r.variants = table.concat(vs, ' ')
        r.cmp = {Number == Number, Integer <= Number, Integer < Number, Number < Number,
                 Number <= Integer, typeof(1) == Number, User.name == String}
        local handlers = {[Number] = 'number handler', [String] = 'string handler'}
        r.key = handlers[typeof(42)] .. '/' .. handlers[typeof('x')]
        r.tostring = tostring(User) .. ' ' .. tostring(Scores)
        return r""")[0]
    assert got["kinds"] == "number record User union"
    assert got["fields"] == "name:string,age:integer,email:optional,address:optional"
    assert got["field"] == "string Address"
    assert got["elem"] == "number" and got["map"] == "string integer"
    assert got["opt"] == "optional number" and got["fn"] == "number,string -> boolean"
    assert got["variants"] == '"pending" "active" "done"'
    assert got["cmp"] == [True, True, True, False, False, True, True]
    assert got["key"] == "number handler/string handler"
    assert got["tostring"] == "User Scores"


def test_subtyping_follows_the_documented_variance_rules():
    # types.md "Variance Rules": readonly field covariant, mutable field invariant,
    # function parameter contravariant, function return covariant.
    src = """
type RoI = {read x: integer}
type RoN = {read x: number}
type WoI = {write x: integer}
type WoN = {write x: number}
type MI = {x: integer}
type MN = {x: number}
type MNY = {x: number, y: string}
type NtoI = (number) -> integer
type ItoN = (integer) -> number
return {main = function()
    return {RoI <= RoN, RoN <= RoI, MI <= MN, MN <= MI, MNY <= MN, WoN <= WoI, WoI <= WoN,
            NtoI <= ItoN, ItoN <= NtoI, NtoI < ItoN, RoI == MI, MN == MN}
end}"""
    r = asyncio.run(run_lua(src))
    assert not r.raised, r.error
    assert r.values[0] == [True, False, False, False, True, True, False,
                           True, False, True, False, True]


def test_type_values_expose_nothing_and_are_read_only():
    got = values("""
        local n = 0
        for _ in pairs(User) do n = n + 1 end
        return getmetatable(User), next(User) == nil, rawlen(User), n,
            select(2, pcall(function() User.x = 1 end)),
            select(2, pcall(function() __wippy_types.record = nil end)),
            select(2, pcall(setmetatable, User, {}))""")
    assert got[0] is False and got[1] is True and got[2] == 0 and got[3] == 0
    assert "read-only" in got[4] and "read-only" in got[5]
    assert "protected metatable" in got[6]


def test_recursive_types_and_cyclic_values_are_bounded():
    got = values("""
        local list = {value = 1, next = {value = 2, next = {value = 3}}}
        local ok = Node(list) == list
        local cyc = {value = 1}
        cyc.next = cyc
        local _, err = Node:is(cyc)
        return ok, tostring(err):sub(-32)""")
    assert got == [True, "value nested too deeply to check"]


def test_unknown_and_self_referencing_types_fail_clearly():
    src = ("type A = Missing\ntype B = C\ntype C = B\n"
           "local function main()\n  return select(2, pcall(A, 1)), select(2, pcall(B, 1)) end\n"
           "return {main = main}")
    result = asyncio.run(run_lua(src))
    assert result.values == ["invalid type: unknown type 'Missing'",
                             "invalid type: type defined in terms of itself"]


@pytest.mark.parametrize("line", [1, 8, 30])
def test_a_runtime_error_on_line_n_of_a_typed_file_reports_line_n(line):
    typed = [
        "type P = {",
        "  x: number,",
        "  y: number",
        "}",
        "local function f(a: number, b: string?): (number, string?)",
        "  return a, b",
        "end",
    ]
    lines = typed + ["local z: number = (1 :: integer) + f(1)!"] * 40
    lines.insert(line - 1, "error('boom')")
    src = "\n".join(lines)
    result = asyncio.run(run_lua(src, method=""))
    assert str(result.error) == f"test:fn:{line}: boom"
