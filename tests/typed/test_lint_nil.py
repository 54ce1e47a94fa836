"""`wippy lint` nil-safety of `T?` (E0004) with flow-sensitive narrowing: every form
of narrowing that docs/lua-types.md lists is silent, and the same uses without it
are reported."""
from __future__ import annotations

import pytest

from wippy.lua.typed.lint import lint

HEAD = "type User = {name: string, age: number}\n"


def e0004(body: str) -> list[tuple[int, str]]:
    diags = lint(HEAD + body, "app:t")
    assert all(d.code == "E0004" for d in diags), [(d.code, d.message) for d in diags]
    return [(d.line - 1, d.message) for d in diags]


def test_unnarrowed_uses_are_reported_with_name_type_and_line():
    assert e0004('''local function f(u: User?, n: number?, cb: (() -> ())?)
    print(u.name)
    print(n + 1, 2 * n, -n)
    cb()
    u:method()
    u.age = 3
    return u["name"]
end
local user: User? = f()
print(user.name)
local nothing: User? = nil
print(nothing.age, f)
''') == [
        (2, "cannot index 'u': it may be nil (declared User?); check it first"),
        (3, "arithmetic on 'n': it may be nil (declared number?); check it first"),
        (3, "arithmetic on 'n': it may be nil (declared number?); check it first"),
        (3, "arithmetic on 'n': it may be nil (declared number?); check it first"),
        (4, "cannot call 'cb': it may be nil (declared (function)?); check it first"),
        (5, "cannot index 'u': it may be nil (declared User?); check it first"),
        (6, "cannot index 'u': it may be nil (declared User?); check it first"),
        (7, "cannot index 'u': it may be nil (declared User?); check it first"),
        (10, "cannot index 'user': it may be nil (declared User?); check it first"),
        (12, "cannot index 'nothing': it may be nil (declared User?); check it first"),
    ]


def test_nil_unions_and_aliases_are_optional_too():
    assert [line for line, _ in e0004('''type MaybeUser = User?
local function f(a: User | nil, b: MaybeUser, c: string?)
    return a.name, b.name, c:upper()
end
print(f)
''')] == [3, 3, 3]


NARROWED = {
    "if x then": '''local function f(x: User?)
    if x then return x.name end
end''',
    "if x ~= nil": '''local function f(x: User?)
    if x ~= nil then return x.name end
    if nil ~= x then return x.name end
end''',
    "early return": '''local function f(x: User?)
    if not x then return nil end
    return x.name
end''',
    "early error": '''local function f(x: User?)
    if x == nil then
        error("no user")
    end
    return x.name
end''',
    "early break in a loop": '''local function f(xs: {User?})
    for _, x: User? in ipairs(xs) do
        if not x then break end
        print(x.name)
    end
end''',
    "either of two": '''local function f(a: User?, b: User?)
    if not a or not b then return end
    return a.name .. b.name
end''',
    "not of and": '''local function f(a: User?, b: User?)
    if not (a and b) then return end
    return a.name .. b.name
end''',
    "and chain": '''local function f(x: User?)
    return x and x.name, x ~= nil and x.age > 1 and x.name
end''',
    "or with not": '''local function f(x: User?)
    return not x or x.age > 1, x == nil or x.name
end''',
    "condition and": '''local function f(x: User?, n: number?)
    if x and n and x.age > n then return x.name, n + 1 end
end''',
    "elseif after the nil test": '''local function f(x: User?)
    if not x then
        return 0
    elseif x.age > 1 then
        return x.name
    else
        return x.age
    end
end''',
    "else of if x == nil": '''local function f(x: User?)
    if x == nil then print("none") else print(x.name) end
end''',
    "all branches narrow": '''local function f(x: User?)
    if x then print(1) else return end
    return x.name
end''',
    "a function that never returns": '''function fail(msg: string): never
    error(msg)
end
local function stop(): never error("stop") end
local function f(x: User?, y: User?)
    if not x then fail("no x") end
    if not y then stop() end
    return x.name .. y.name
end''',
    "assert": '''local function f(x: User?)
    assert(x, "need a user")
    return x.name
end''',
    "assert of a comparison": '''local function f(x: User?)
    assert(x ~= nil)
    return x.name
end''',
    "non-nil assertion": '''local function f(x: User?)
    return (x!).name, x!.age
end''',
    "or default": '''local function f(x: User?, n: number?)
    local y = (n or 0) + 1
    return (x or {name = "a"}).name, y
end''',
    "assigned a default": '''local function f(x: User?, n: number?)
    x = x or {name = "anon", age = 0}
    if not n then n = 1 end
    return x.name, n + 1
end''',
    "initialised with a value": '''local u: User? = {name = "a", age = 1}
local n: number? = 42
print(u.name, n + 1)''',
    "error idiom": '''local function get(): (User?, string?) return nil, "no" end
local function f()
    local user: User?, err = get()
    if err then return nil, err end
    return user.name
end''',
    "error idiom, positive test": '''local function get(): (User?, string?) return nil, "no" end
local function f()
    local user: User?, err = get()
    if err == nil then return user.name end
    local u2: User?, e2 = get()
    if not e2 then print(u2.name) end
end''',
    "type(x) test": '''local function f(x: User?)
    if type(x) ~= "table" then return end
    if type(x) == "table" then return x.name end
    return x.age
end''',
    "while x": '''local function f(n: number?)
    while n do
        print(n + 1)
        return
    end
end''',
    "equals a literal": '''local function f(s: string?)
    if s == "a" then return s:upper() end
end''',
    "comparison, concatenation and passing are no use": '''local function f(x: User?, s: string?)
    print(x == nil, s ~= "a", x, tostring(s))
    return #tostring(s)
end''',
    "any? and unknown? are not checked": '''local function f(a: any?, b: unknown?)
    return a.x, b.y
end''',
    "untyped and non-optional locals are not checked": '''local function f(a, b: User)
    return a.x, b.name
end''',
    "closure sees the narrowing": '''local function f(x: User?)
    if not x then return end
    return function() return x.name end
end''',
    "shadowing local is its own": '''local function f(x: User?)
    if not x then return end
    do
        local x = {name = "b"}
        print(x.name)
    end
    return x.name
end''',
}


@pytest.mark.parametrize("body", NARROWED.values(), ids=NARROWED.keys())
def test_narrowed_uses_are_not_reported(body):
    assert e0004(body + "\nprint(f)\n" if "local function f" in body else body) == []


NOT_NARROWED = {
    "then branch of if not x": '''local function f(x: User?)
    if not x then return x.name end
end''',
    "if x then return end proves nothing after": '''local function f(x: User?)
    if x then return end
    return x.name
end''',
    "after an if whose branch does not stop": '''local function f(x: User?)
    if not x then print("none") end
    return x.name
end''',
    "narrowing ends with its branch": '''local function f(x: User?)
    if x then print(x.name) end
    return x.age
end''',
    "or does not prove the right side": '''local function f(x: User?, y: User?)
    if x or y then return x.name end
end''',
    "not x == nil is (not x) == nil": '''local function f(x: User?)
    if not x == nil then return x.name end
end''',
    "type(x) == nil string": '''local function f(x: User?)
    if type(x) ~= "nil" then return 1 end
    return x.name
end''',
    "error idiom needs the error test alone": '''local function get(): (User?, string?) return nil, "no" end
local function f(flag: boolean)
    local user: User?, err = get()
    if err and flag then return end
    return user.name
end''',
    "a function that may return": '''local function warn(msg: string): never? print(msg) end
local function f(x: User?)
    if not x then warn("no x") end
    return x.name
end''',
    "assigned nil": '''local function f()
    local x: User? = nil
    x = nil
    return x.name
end''',
}


@pytest.mark.parametrize("body", NOT_NARROWED.values(), ids=NOT_NARROWED.keys())
def test_uses_without_narrowing_are_reported(body):
    assert len(e0004(body + "\nprint(f)\n")) == 1


def test_unknown_fields_of_optional_records():
    diags = lint(HEAD + '''local function f(u: User?)
    if u then return u.nmae end
end
print(f)
''', "app:t")
    assert [(d.line, d.code, d.message) for d in diags] == [
        (3, "E0003", "field 'nmae' does not exist on User?")]


def test_hostile_sources_give_diagnostics_not_exceptions():
    [d] = lint('local s = "unfinished\n', "app:t")
    assert (d.code, d.line) == ("P0001", 1)
    deep = "local function f(x: {a: number}?)\n" + "if x then\n" * 190 + "print(x.a)\n" \
        + "end\n" * 190 + "end\nprint(f)\n"
    assert lint(deep, "app:t") == []
    [d] = lint("if x then\n" * 260 + "end\n" * 260, "app:t")
    assert d.code == "P0001" and "too many syntax levels" in d.message
    chain = "local x = " + " and ".join(f"a{i}" for i in range(20000)) + "\nprint(x)\n"
    assert {d.code for d in lint(chain, "app:t", modules=[f"a{i}" for i in range(20000)])} == set()
