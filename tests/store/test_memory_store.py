"""store.memory: TTL, size bound, versions, listing (a fake clock only where time is the subject)."""
from __future__ import annotations

import asyncio

import pytest

from wippy.errors import ALREADY_EXISTS, CONFLICT, INVALID, NOT_FOUND, UNAVAILABLE, WippyError
from wippy.store import MemoryStore


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def kind_of(fn, *args):
    with pytest.raises(WippyError) as info:
        fn(*args)
    return info.value.kind


def test_set_get_has_delete_and_values_are_detached():
    s = MemoryStore("app:cache")
    value = {"name": "Alice", "tags": ["a"]}
    assert s.set("user:1", value) is True
    value["name"] = "changed"
    assert s.get("user:1") == {"name": "Alice", "tags": ["a"]}
    got = s.get("user:1")
    got["name"] = "x"
    assert s.get("user:1")["name"] == "Alice"
    assert s.has("user:1") and not s.has("user:2")
    assert s.delete("user:1") is True and s.delete("user:1") is False
    assert kind_of(s.get, "user:1") == NOT_FOUND


def test_expired_keys_are_invisible_at_once():
    clock = Clock()
    s = MemoryStore("app:cache", clock=clock)
    s.set("k", "v", 10)
    s.set("forever", 1)
    clock.t += 9.999
    assert s.get("k") == "v"
    clock.t += 0.001
    assert not s.has("k") and kind_of(s.get, "k") == NOT_FOUND and kind_of(s.entry, "k") == NOT_FOUND
    assert [e["key"] for e in s.list()["items"]] == ["forever"]
    assert s.delete("k") is False           # an expired key counts as absent
    s.set("k", "again", 0)                  # 0 = no expiry
    clock.t += 10 ** 6
    assert s.get("k") == "again"


def test_max_size_rejects_new_keys_but_updates_and_expired_room_are_fine():
    clock = Clock()
    s = MemoryStore("app:cache", max_size=3, clock=clock)
    for i in range(3):
        s.set(f"k{i}", i, 5 if i == 0 else 0)
    with pytest.raises(WippyError) as info:
        s.set("k3", 3)
    assert info.value.kind == UNAVAILABLE and "app:cache is full (3 entries)" in info.value.message
    assert info.value.retryable is True     # as Go Wippy's ErrStoreFull: room comes back
    s.set("k1", "updated")                 # an existing key is not a new entry
    assert s.get("k1") == "updated"
    clock.t += 5                            # k0 expires: its room is reused at once
    s.set("k3", 3)
    assert len(s) == 3 and s.get("k3") == 3
    s.delete("k2")
    s.set("k4", 4)
    assert kind_of(s.set, "k5", 5) == UNAVAILABLE


def test_versions_and_conditional_put():
    s = MemoryStore("app:cache")
    e1 = s.put("lock", "owner-a", {"only_if_absent": True})
    assert e1["key"] == "lock" and e1["value"] == "owner-a" and isinstance(e1["version"], str)
    assert kind_of(s.put, "lock", "owner-b", {"only_if_absent": True}) == ALREADY_EXISTS
    cur = s.entry("lock")
    assert cur == e1
    e2 = s.put("lock", "owner-c", {"if_version": cur["version"]})
    assert e2["version"] != cur["version"]
    with pytest.raises(WippyError) as info:
        s.put("lock", "owner-d", {"if_version": cur["version"]})
    assert info.value.kind == CONFLICT and info.value.retryable is True
    assert kind_of(s.put, "nope", 1, {"if_version": "1"}) == CONFLICT
    assert kind_of(s.put, "x", 1, {"if_version": "1", "only_if_absent": True}) == INVALID


def test_list_pages_in_key_order():
    s = MemoryStore("app:cache")
    for k in ["session:c", "session:a", "other", "session:b", "session:d"]:
        s.set(k, k.upper())
    p1 = s.list({"prefix": "session:", "limit": 3})
    assert [e["key"] for e in p1["items"]] == ["session:a", "session:b", "session:c"]
    assert p1["has_more"] is True and p1["cursor"] == "session:c"
    assert p1["items"][0]["value"] == "SESSION:A"
    p2 = s.list({"prefix": "session:", "after": p1["cursor"], "limit": 3})
    assert [e["key"] for e in p2["items"]] == ["session:d"] and p2["has_more"] is False


@pytest.mark.parametrize("call", [
    lambda s: s.set("", 1), lambda s: s.set(5, 1), lambda s: s.set("k", None),
    lambda s: s.set("k", 1, -1), lambda s: s.set("k", 1, "10"), lambda s: s.list({"limit": 0}),
    lambda s: s.set("k" * 2000, 1),
])
def test_bad_arguments_are_invalid(call):
    with pytest.raises(WippyError) as info:
        call(MemoryStore("app:cache"))
    assert info.value.kind == INVALID


def test_cleanup_removes_expired_entries_on_its_interval():
    async def main():
        s = MemoryStore("app:cache", cleanup_interval=0.01)
        await s.start()
        try:
            s.set("short", 1, 0.02)
            s.set("long", 1, 60)
            deadline = asyncio.get_running_loop().time() + 5
            while len(s) != 1:
                assert asyncio.get_running_loop().time() < deadline, "cleanup never ran"
                await asyncio.sleep(0.01)
            assert s.has("long")
        finally:
            await s.stop()
    asyncio.run(main())
