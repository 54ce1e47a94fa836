"""compile(): plain Lua passes through, type syntax is erased in place, and bad
syntax is reported with file, line, column and the line itself."""
from __future__ import annotations

import time

import pytest

from wippy.lua.typed import TypedLuaSyntaxError, compile
from wippy.lua.typed import compiler


def test_plain_lua_passes_through_as_the_same_text():
    src = "local t = {a = 1}\nfunction t.m(x) return x // 2 end\nreturn t\n"
    assert compile(src, "p") is src


def test_annotations_are_blanked_on_their_own_columns():
    src = "local x: number = 1\nlocal function f(a: string, ...: any): (string, number?)\n  return a end"
    out = compile(src, "t")
    expected = src
    for annotation in (": number", ": string", ": any", ": (string, number?)"):
        expected = expected.replace(annotation, " " * len(annotation))
    assert out == expected


def test_casts_and_non_nil_are_erased():
    out = compile("local a = (b :: any).c + (d as number) + e!.f + g!", "t")
    assert out == "local a = (b       ).c + (d          ) + e .f + g "


def test_a_type_declaration_keeps_its_lines():
    src = "type P = {\n  x: number,\n  y: number\n}\nlocal after = 1\n"
    out = compile(src, "t")
    assert out.count("\n") == src.count("\n")
    assert out.splitlines()[4] == "local after = 1"
    assert out.startswith("local __wippy_types, P = __wippy_types; P = __wippy_types.named(\"P\"")


def test_as_stays_a_name_where_no_type_follows():
    out = compile("local x: any = y\nas = 5\nas.b = as", "t")
    assert out.splitlines()[1:] == ["as = 5", "as.b = as"]


def test_generics_split_closing_angle_brackets():
    src = "local m: Map<string, List<number>>= {}\nlocal n = 1 >> 1"
    annotation = ": Map<string, List<number>>"
    assert compile(src, "t") == src.replace(annotation, " " * len(annotation))


def test_less_than_is_not_a_generic():
    out = compile("local a: number = 1\nlocal b = a < 2 and a > 0", "t")
    assert out.splitlines()[1] == "local b = a < 2 and a > 0"


@pytest.mark.parametrize("src, line, col, message", [
    ("local x: = 1", 1, 10, "type expected near '='"),
    ("local a = 1\nlocal b: {number = 2", 2, 18, "'}' expected near '='"),
    ("type T = {x: number @frob(1)}", 1, 21, "unknown validator '@frob'"),
    ("local f = function(a: number\n  return a end", 2, 3, "')' expected (to close '(' at line 1)"),
    ("x = 1 +", 1, 8, "unexpected symbol near end of file"),
    ("local x: number = 'oops", 1, 19, "unfinished string"),
])
def test_syntax_errors_name_file_line_column_and_excerpt(src, line, col, message):
    with pytest.raises(TypedLuaSyntaxError) as info:
        compile(src, "app:handler")
    err = info.value
    assert (err.file, err.line, err.column) == ("app:handler", line, col)
    assert message in err.message
    text = str(err)
    assert text.startswith(f"app:handler:{line}:{col}: ")
    excerpt, caret = text.splitlines()[1:]
    assert excerpt.strip() == src.splitlines()[line - 1].strip()
    assert caret.index("^") == 4 + col - 1
    one = err.one_line()   # what `wippy check` prints: one line per problem
    assert "\n" not in one and one.startswith(f"app:handler:{line}:{col}: ")
    assert one.endswith(" | " + src.splitlines()[line - 1].strip()[:57])


def test_errors_lua_finds_after_compiling_keep_the_line():
    # Our parser walks syntax; Lua also checks semantics such as `break` outside a loop.
    with pytest.raises(TypedLuaSyntaxError) as info:
        compile("local a: number = 1\n\nbreak\n", "m")
    assert info.value.line == 3 and "break" in info.value.message


def test_compiled_output_is_cached_per_source():
    src = "local cached: number = " + str(time.time_ns())
    first = compile(src, "a")
    assert compile(src, "b") is first
    assert src in compiler._cache


def test_deep_nesting_is_an_error_not_a_crash():
    with pytest.raises(TypedLuaSyntaxError) as info:
        compile("local x: any = " + "(" * 500 + "1" + ")" * 500, "deep")
    assert "too many syntax levels" in info.value.message
    with pytest.raises(TypedLuaSyntaxError):
        compile("type T = " + "{" * 5000 + "number" + "}" * 5000, "deep")


def test_a_huge_record_type_compiles_quickly():
    fields = ",\n".join(f"  f{i}: string @min_len(1)" for i in range(20000))
    src = f"type Huge = {{\n{fields}\n}}\nreturn Huge\n"
    start = time.thread_time()       # CPU time: a loaded machine stretches wall time
    out = compile(src, "huge")
    assert time.thread_time() - start < 3.0
    assert out.count("\n") == src.count("\n")


PLAIN = r'''
local s = ("x"):rep(2) .. f"str" .. #f{1} .. a.b.c:d"x" .. [==[ long ]] ]==]
--[[ a comment
]] local n = 0x1p4 + 1e-3 + .5 + 0xA + -2^-2 + 3 // 2 % 1
local b = not not x and ~n | 1 & 2 ~ 3 << 1 >> 1
local c <const> = 1
local d <close> = nil
for i = 10, 1, -1 do if i then goto next end ::next:: end
repeat local z = 1 until z
local function v(...) return select('#', ...), ... end
function a.b.c:d(x) return self, x end
local e = "\z
      " .. '\'' .. "\\" .. "\65\x41\u{41}"
t = {[1] = 1, x = 2; 3, f = function() end,}
do local _ = (f)(1) end
return;
'''


def test_plain_lua_through_the_typed_parser_needs_no_edit():
    from wippy.lua.typed.parser import Parser
    parser = Parser(PLAIN, "plain")
    parser.parse_chunk()
    assert parser.edits == [] and not parser.uses_runtime


def test_our_own_lua_goes_through_the_typed_parser_untouched():
    from pathlib import Path

    from wippy.lua.typed.parser import Parser
    root = Path(__file__).resolve().parents[2]
    files = list((root / "wippy").rglob("*.lua"))
    assert len(files) > 10
    for path in files:
        parser = Parser(path.read_text(), path.name)
        parser.parse_chunk()
        assert parser.edits == [], path


def test_a_cast_ends_its_statement_before_a_parenthesis():
    # Without the `;` Lua would read the erased `local y = x` and `(f)()` as one call.
    out = compile("local y = x :: number\n(f)()\nlocal z = x as any\n(g)()", "t")
    assert out == "local y = x         ;\n(f)()\nlocal z = x      ;\n(g)()"
