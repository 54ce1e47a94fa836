"""The `yaml` module: yaml.v3 scalar rules, safe decoding (no objects, no alias bombs), encoding."""
from __future__ import annotations

import math

import pytest
import yaml as pyyaml

from tests.modules.lua import values

M = ["yaml"]


def test_documented_decode_example():
    host, port, first, t_count, t_enabled, t_tags = values("""
        local c = yaml.decode("server:\\n  host: localhost\\n  port: 8080\\nfeatures:\\n  - auth\\n  - logging\\n")
        local d = yaml.decode("count: 42\\nratio: 3.14\\nenabled: true\\ntags:\\n  - lua\\n")
        return c.server.host, c.server.port, c.features[1], math.type(d.count), type(d.enabled), type(d.tags)
    """, modules=M)
    assert (host, port, first) == ("localhost", 8080, "auth")
    assert (t_count, t_enabled, t_tags) == ("integer", "boolean", "table")


@pytest.mark.parametrize("text, expected", [
    ("yes", "yes"), ("on", "on"), ("True", True), ("FALSE", False),        # YAML 1.2 booleans only
    ("0x1F", 31), ("0o17", 15), ("010", 8), ("0b101", 5), ("1_000", 1000),
    ("2001-12-14", "2001-12-14"),                                         # timestamps stay strings
    ("~", None), ("1e3", 1000.0), ("'42'", "42"),
])
def test_scalars_resolve_like_yaml_v3(text, expected):
    ok, value = values(f"local d, err = yaml.decode({('v: ' + text)!r}) return err == nil, d.v",
                       modules=M)
    assert ok is True and value == expected and type(value) is type(expected)


def test_infinity_and_nan_are_floats():
    pos, neg, nan = values('local d = yaml.decode("a: .inf\\nb: -.Inf\\nc: .nan") return d.a, d.b, d.c',
                           modules=M)
    assert pos == math.inf and neg == -math.inf and math.isnan(nan)


@pytest.mark.parametrize("text", [
    "!!python/object/apply:os.system ['echo pwned']",
    "!!python/name:os.system x",
    "a: !custom 1",
])
def test_object_construction_is_refused(text):
    value, err = values(f"return yaml.decode({text!r})", modules=M)
    assert value is None and err.kind == "Internal" and "constructor" in err.message
    assert "python" in text or "custom" in err.message


def test_alias_bomb_is_refused_before_expansion():
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    value, err = values(f"return yaml.decode({chr(10).join(lines)!r})", modules=M)
    assert value is None and err.kind == "Internal" and "excessive aliasing" in err.message


def test_recursive_alias_is_refused_and_plain_aliases_work():
    rec, shared = values("""
        local _, err = yaml.decode("a: &x [1, *x]")
        local d = yaml.decode("base: &b {k: 1}\\nuse: *b")
        return err, d.use.k
    """, modules=M)
    assert "recursive alias" in rec.message and shared == 1


@pytest.mark.parametrize("call, kind, needle", [
    ("yaml.decode(42)", "Invalid", "input must be a string"),
    ('yaml.decode("")', "Invalid", "empty string"),
    ('yaml.decode("a: [1, 2")', "Internal", "yaml decode failed"),
    ('yaml.encode("text")', "Invalid", "input must be a table"),
    ("yaml.encode(nil)", "Invalid", "input must be a table"),
])
def test_errors(call, kind, needle):
    value, err = values(f"return {call}", modules=M)
    assert value is None and err.kind == kind and needle in err.message and err.retryable is False


def test_encode_field_order_then_sorted():
    a, b, items = values("""
        local e = {zebra = 1, alpha = 2, name = "test", kind = "demo"}
        return yaml.encode(e, {field_order = {"name", "kind"}, sort_unordered = true}),
               yaml.encode(e, {sort_unordered = true}), yaml.encode({"apple", "banana"})
    """, modules=M)
    assert a == "name: test\nkind: demo\nalpha: 2\nzebra: 1\n"
    assert b == "alpha: 2\nkind: demo\nname: test\nzebra: 1\n"
    assert items == "- apple\n- banana\n"


def test_encode_round_trips_nested_values():
    text = values("""
        return yaml.encode({server = {port = 8080, tags = {"a", "b"}, note = "two\\nlines", on = "yes"}})
    """, modules=M)[0]
    assert pyyaml.safe_load(text) == {"server": {"port": 8080, "tags": ["a", "b"],
                                                 "note": "two\nlines", "on": "yes"}}
    assert "    tags:\n        - a\n" in text        # 4-space indents, lists indented (yaml.v3)


BIG = "\n".join(f"k{i}: [{i}, v{i}]" for i in range(150_000))   # ~600k nodes, seconds to decode


def test_a_huge_document_stops_at_the_calls_budget(caplog):
    import asyncio
    import time

    from tests.lua_helpers import run_lua

    src = ("local yaml = require('yaml')\n"
           "return {main = function(text) local v, err = yaml.decode(text)\n"
           "  return v == nil, err and err:kind(), err and err:message() end}")

    async def go():
        t0 = time.monotonic()
        result = await run_lua(src, modules=M, args=(BIG,), budget=0.3)
        return result, time.monotonic() - t0

    result, took = asyncio.run(go())
    # Either the decode returned its error in time or the engine stopped the call at its
    # budget; what must not happen is a decode running on past it (the engine abandons a
    # worker HARD_GRACE = 2 s after the deadline, and the decode alone takes seconds).
    assert took < 1.5, took
    assert not any("stuck" in r.getMessage() for r in caplog.records)
    if not result.raised:
        assert result.values[:2] == [True, "Internal"]
        assert "time budget ran out" in result.values[2]


def test_node_count_and_deadline_bound_composition_in_both_loaders():
    import time

    from wippy.lua.modules.yaml import codec
    for loader in (codec.SafeLoader, codec.Loader):
        with pytest.raises(codec.YamlError, match="more than 1,000 values"):
            codec.decode(BIG, max_nodes=1_000, loader_class=loader)
        t0 = time.monotonic()
        with pytest.raises(codec.YamlError, match="time budget ran out"):
            codec.decode(BIG, deadline=t0 + 0.05, loader_class=loader)
        assert time.monotonic() - t0 < 0.5
        assert codec.decode("a: &x [1, 2]\nb: *x",
                            loader_class=loader) == {"a": [1, 2], "b": [1, 2]}


def test_libyaml_syntax_errors_read_like_yaml_v3():
    # yaml.v3 is a port of libyaml: its messages are libyaml's.
    value, err = values('return yaml.decode("a: b: c")', modules=M)
    assert value is None and "mapping values are not allowed in this context" in err.message
    assert "line 1, column 5" in err.message


def test_encoding_a_huge_table_stops_at_the_calls_budget(caplog):
    import asyncio
    import time

    from tests.lua_helpers import run_lua

    src = ("local yaml = require('yaml')\n"
           "return {main = function()\n"
           "  local t = {} for i = 1, 250000 do t[i] = {a = i, b = 'x'} end\n"
           "  local text, err = yaml.encode(t)\n"
           "  return text == nil, err and err:kind(), err and err:message() end}")

    async def go():
        t0 = time.monotonic()
        result = await run_lua(src, modules=M, budget=1.0)
        return result, time.monotonic() - t0

    result, took = asyncio.run(go())
    assert took < 6.0, took      # encoding alone takes tens of seconds here
    assert not any("stuck" in r.getMessage() for r in caplog.records)
    if not result.raised:
        assert result.values[:2] == [True, "Internal"]
        assert "time budget ran out while encoding" in result.values[2]
