"""The `uuid` module: generation, validation, inspection, exact error messages."""
from __future__ import annotations

import re
import time
import uuid as pyuuid

import pytest

from tests.modules.lua import lua, values
from wippy.lua.modules.uuid import module as helpers

CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NS_DNS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


def test_v4_returns_canonical_lowercase():
    ids = values("""
        local out = {}
        for i = 1, 50 do local id, err = uuid.v4(); assert(err == nil); out[i] = id end
        return out
    """, modules=["uuid"])[0]
    assert len(set(ids)) == 50
    for text in ids:
        assert CANONICAL.fullmatch(text)
        parsed = pyuuid.UUID(text)
        assert parsed.version == 4 and parsed.variant == pyuuid.RFC_4122


def test_v1_and_v7_carry_their_time():
    before = int(time.time())
    got = values("""
        local a, b = uuid.v1(), uuid.v7()
        local pa, pb = uuid.parse(a), uuid.parse(b)
        return a, b, pa.version, pa.timestamp, pa.node, pa.variant, pb.version, pb.timestamp, pb.node
    """, modules=["uuid"])
    a, b, va, ta, node, variant, vb, tb, node_b = got
    assert CANONICAL.fullmatch(a) and CANONICAL.fullmatch(b)
    assert (va, vb, variant, node_b) == (1, 7, "RFC4122", None)
    assert before - 1 <= ta <= time.time() + 1 and before - 1 <= tb <= time.time() + 1
    assert re.fullmatch(r"[0-9a-f]{12}", node) and int(node, 16) & 0x010000000000
    assert pyuuid.UUID(a).time // 10_000_000 - 12219292800 == ta


def test_v7_sorts_in_creation_order():
    ids = values("local out = {} for i = 1, 200 do out[i] = uuid.v7() end return out",
                 modules=["uuid"])[0]
    assert ids == sorted(ids) and len(set(ids)) == 200


def test_v3_v5_match_rfc_vectors():
    got = values(f"""
        return uuid.v3("{NS_DNS}", "python.org"), uuid.v5("{NS_DNS}", "python.org"),
               uuid.v5("{{{NS_DNS.upper()}}}", "python.org")
    """, modules=["uuid"])
    expected5 = str(pyuuid.uuid5(pyuuid.NAMESPACE_DNS, "python.org"))
    assert got == [str(pyuuid.uuid3(pyuuid.NAMESPACE_DNS, "python.org")), expected5, expected5]


@pytest.mark.parametrize("call, kind, message", [
    ('uuid.v3("x")', "Invalid", "namespace and name must be strings"),
    ('uuid.v5(1, "a")', "Invalid", "namespace and name must be strings"),
    ('uuid.v5("not-a-uuid", "a")', "Invalid", "invalid namespace UUID"),
    ("uuid.version(5)", "Invalid", "input must be a string"),
    ('uuid.version("nope")', "Invalid", "invalid UUID format"),
    ('uuid.variant("")', "Invalid", "invalid UUID format"),
    ("uuid.parse({})", "Invalid", "input must be a string"),
    (f'uuid.format("{NS_DNS}", "weird")', "Invalid", "unsupported format"),
])
def test_errors_are_returned(call, kind, message):
    got = values(f"local v, err = {call} return v, err:kind(), err:message(), err:retryable()",
                 modules=["uuid"])
    assert got == [None, kind, message, False]


@pytest.mark.parametrize("text, ok", [
    (NS_DNS, True), (NS_DNS.upper(), True), ("urn:uuid:" + NS_DNS, True),
    ("URN:UUID:" + NS_DNS, True), ("{" + NS_DNS + "}", True), (NS_DNS.replace("-", ""), True),
    ("", False), ("6ba7b810-9dad-11d1-80b4-00c04fd430c", False), ("x" + NS_DNS[1:], False),
    ("6ba7b810x9dad-11d1-80b4-00c04fd430c8", False), ("(" + NS_DNS + ")", False),
    ("6ba7b810-9dad-11d1-80b4-00c04fd430 8", False),
])
def test_validate(text, ok):
    assert values("return uuid.validate(...)", modules=["uuid"], args=(text,)) == [ok]


def test_validate_non_string_is_false():
    assert values("return uuid.validate(5), uuid.validate(nil), uuid.validate({})",
                  modules=["uuid"]) == [False, False, False]


def test_version_variant_format():
    got = values(f"""
        local id = "{NS_DNS.upper()}"
        return uuid.version(id), uuid.variant(id), uuid.format(id), uuid.format(id, "simple"),
               uuid.format(id, "urn"), uuid.variant("6ba7b810-9dad-11d1-00b4-00c04fd430c8"),
               uuid.variant("6ba7b810-9dad-11d1-c0b4-00c04fd430c8"),
               uuid.variant("6ba7b810-9dad-11d1-e0b4-00c04fd430c8")
    """, modules=["uuid"])
    assert got == [1, "RFC4122", NS_DNS, NS_DNS.replace("-", ""), "urn:uuid:" + NS_DNS,
                   "Reserved", "Microsoft", "Future"]


def test_parse_of_random_uuid_has_no_time():
    got = values('local p = uuid.parse(uuid.v4()) return p.version, p.timestamp, p.node',
                 modules=["uuid"])
    assert got == [4, None, None]


def test_helpers_parse():
    assert helpers.parse(NS_DNS) == pyuuid.UUID(NS_DNS).bytes
    assert helpers.parse("g" * 32) is None
