"""The pure parts of the live registry: operations between two entry lists, their checks
against the current entries, and Wippy's id globs."""
from __future__ import annotations

import pytest

from wippy.errors import WippyError
from wippy.registry.entry import Entry
from wippy.registry.finder import compile_filter, glob
from wippy.registry.live import CREATE, DELETE, UPDATE, Op, delta, next_entries


def e(eid: str, kind: str = "k", **data) -> Entry:
    ns, name = eid.split(":", 1)
    return Entry(ns, name, kind, {}, data)


def ops(items):
    return [(op.kind, op.entry.id, op.entry.kind) for op in items]


def test_delta_updates_changed_entries_and_a_reload_recreates_a_changed_kind():
    old = [e("a:x"), e("a:y", v=1), e("a:z")]
    new = [e("a:y", v=2), e("a:z", "other"), e("a:w")]
    assert ops(delta(old, new)) == [(DELETE, "a:x", "k"), (UPDATE, "a:y", "k"),
                                    (UPDATE, "a:z", "other"), (CREATE, "a:w", "k")]
    assert ops(delta(old, new, kind_change=DELETE)) == [
        (DELETE, "a:z", "k"), (DELETE, "a:x", "k"), (UPDATE, "a:y", "k"),
        (CREATE, "a:z", "other"), (CREATE, "a:w", "k")]
    assert delta(old, [e("a:x"), e("a:y", v=1), e("a:z")]) == []   # same content: nothing


def test_next_entries_keeps_places_and_names_the_failing_operation():
    state = (e("a:x"), e("a:y"))
    out = next_entries(state, [Op(UPDATE, e("a:x", v=1)), Op(CREATE, e("a:n")),
                               Op(DELETE, e("a:y"))])
    assert [(x.id, x.data) for x in out] == [("a:x", {"v": 1}), ("a:n", {})]
    for bad, text in [([], "no changes to apply"),
                      ([Op(CREATE, e("a:n")), Op(CREATE, e("a:x"))], "change 2 (create)"),
                      ([Op(UPDATE, e("a:q"))], "a:q does not exist"),
                      ([Op(DELETE, e("a:q"))], "change 1 (delete)"),
                      ([Op(UPDATE, e("a:x", "other"))], "an update cannot make it a other")]:
        with pytest.raises(WippyError) as info:
            next_entries(state, bad)
        assert text in info.value.message and info.value.kind == "Invalid"


@pytest.mark.parametrize("value,pattern,hit", [
    ("app.api", "app.*", True), ("app", "app.*", False), ("x.endpoint", "*.endpoint", True),
    ("app.v2.api", "app.*.api", True), ("app.api", "app.api", True), ("app.apis", "app.api", False),
    ("a.b.c", "*.b.*", True), ("a.c", "*.b.*", False),
])
def test_glob(value, pattern, hit):
    assert glob(value, pattern) is hit


def test_filter_value_types_must_match():
    flagged = Entry("a", "x", "k", {"enabled": True, "n": 1})
    assert compile_filter({"meta.enabled": True})(flagged)
    assert not compile_filter({"meta.enabled": 1})(flagged)       # true is not 1
    assert compile_filter({"meta.n": 1})(flagged)
    with pytest.raises(WippyError):
        compile_filter({".bogus": "x"})
