"""The `logger` module: colon calls, typed fields, with/named, location, Python logging."""
from __future__ import annotations

import logging

import pytest

from tests.modules.lua import lua, values


class Records:
    """Log records of the running test (caplog.records is per phase, so read it late)."""

    def __init__(self, caplog):
        self.caplog = caplog

    def __iter__(self):
        return iter(self.caplog.records)

    def __getitem__(self, index):
        return self.caplog.records[index]


@pytest.fixture
def records(caplog):
    caplog.set_level(logging.DEBUG, logger="wippy.lua")
    return Records(caplog)


def test_levels_message_and_fields(records):
    values("""
        logger:debug("d")
        logger:info("task processed", {task_id = "t1", attempts = 3, ratio = 0.5, ok = true,
                                       nested = {list = {1, 2}, deep = {x = "y"}}})
        logger:warn("w", {e = errors.new("queue full")})
        logger:error("failed", {error = errors.new({message = "db down", kind = "Unavailable"})})
    """, modules=["logger"])
    assert [(r.name, r.levelno, r.getMessage()) for r in records] == [
        ("wippy.lua.test:fn", logging.DEBUG, "d"), ("wippy.lua.test:fn", logging.INFO, "task processed"),
        ("wippy.lua.test:fn", logging.WARNING, "w"), ("wippy.lua.test:fn", logging.ERROR, "failed")]
    info = records[1].fields
    assert info == {"entry": "test:fn", "location": "test:fn:4", "task_id": "t1", "attempts": 3,
                    "ratio": 0.5, "ok": True, "nested": {"list": [1, 2], "deep": {"x": "y"}}}
    assert type(info["attempts"]) is int
    assert records[2].fields["e"] == "queue full"
    assert records[3].fields["error"] == "db down" and records[3].fields["location"] == "test:fn:7"


def test_a_callers_entry_field_wins_location_stays(records):
    values("logger:info('tick', {entry = 'app:job.beat', location = 'elsewhere'})",
           modules=["logger"])
    assert records[0].fields == {"entry": "app:job.beat", "location": "test:fn:2"}


def test_location_is_the_callers_line(records):
    values("local x = 1\n\n\nlogger:info('here')", modules=["logger"])
    assert records[0].fields["location"] == "test:fn:5"


def test_with_and_named(records):
    values("""
        local child = logger:with({request_id = "r1", n = 1})
        child:info("a", {n = 2})
        local named = child:named("auth"):named("jwt")
        named:warn("b")
        logger:info("c")
    """, modules=["logger"])
    a, b, c = records
    assert a.fields["request_id"] == "r1" and a.fields["n"] == 2
    assert b.name == "wippy.lua.test:fn.auth.jwt" and b.fields["request_id"] == "r1"
    assert "request_id" not in c.fields and c.name == "wippy.lua.test:fn"


def test_field_edge_cases(records):
    values("""
        logger:info(42, {[1] = "ignored", t = time.date(2024, 1, 2, 3, 4, 5, 0, time.utc),
                         d = time.parse_duration("1.5s"), f = print})
        logger:info("plain", {})
    """, modules=["logger", "time"])
    first, second = records
    assert first.getMessage() == "42"
    assert first.fields == {"entry": "test:fn", "location": "test:fn:3",
                            "t": "2024-01-02 03:04:05 +0000 UTC", "d": "1.5s"}
    assert second.fields == {"entry": "test:fn", "location": "test:fn:5"}


def test_level_filtering_skips_records(caplog):
    caplog.set_level(logging.INFO, logger="wippy.lua")
    values('logger:debug("hidden") logger:info("shown")', modules=["logger"])
    assert [r.getMessage() for r in caplog.records] == ["shown"]


def test_level_changes_apply_from_the_next_call(caplog):
    # Disabled levels are skipped inside Lua; the level is read at each call's start.
    caplog.set_level(logging.WARNING, logger="wippy.lua")
    values('logger:info("before")', modules=["logger"])
    caplog.set_level(logging.DEBUG, logger="wippy.lua")
    values('logger:debug("after")', modules=["logger"])
    assert [r.getMessage() for r in caplog.records] == ["after"]


def test_named_logger_keeps_its_own_level(caplog):
    caplog.set_level(logging.WARNING, logger="wippy.lua")
    caplog.handler.setLevel(logging.DEBUG)   # set_level also raised the capture's own level
    named = logging.getLogger("wippy.lua.test:fn.audit")
    named.setLevel(logging.DEBUG)
    try:
        values('logger:named("audit"):info("kept") logger:info("dropped")', modules=["logger"])
    finally:
        named.setLevel(logging.NOTSET)
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("wippy.lua.test:fn.audit", "kept")]


@pytest.mark.parametrize("level", [logging.DEBUG, logging.CRITICAL])
@pytest.mark.parametrize("call, message", [
    ('logger:info({})', "bad argument #2 to 'info' (string expected, got table)"),
    ('logger:debug("m", "f")', "bad argument #3 to 'debug' (table expected, got string)"),
])
def test_arguments_are_checked_at_every_level(caplog, level, call, message):
    caplog.set_level(level, logger="wippy.lua")
    result = lua(call, modules=["logger"])
    assert result.raised and message in result.error.message


@pytest.mark.parametrize("call, message", [
    ('logger.info("dot call")', "bad argument #1 to 'info' (logger expected, got string); call it with a colon"),
    ("logger.error()", "bad argument #1 to 'error' (logger expected, got nil)"),
    ('logger:named("")', "name cannot be empty"),
    ("logger:named(5)", "bad argument #1 to 'named' (string expected, got number)"),
    ('logger:with("x")', "bad argument #1 to 'with' (table expected, got string)"),
    ('logger:info({})', "bad argument #2 to 'info' (string expected, got table)"),
    ('logger:info("m", "f")', "bad argument #3 to 'info' (table expected, got string)"),
])
def test_misuse_raises_at_the_call_site(call, message):
    result = lua(call, modules=["logger"])
    assert result.raised and message in result.error.message
    assert result.error.message.startswith("test:fn:2:")


def test_logger_objects_are_read_only():
    result = lua("logger.info = nil", modules=["logger"])
    assert result.raised and "attempt to modify a logger" in result.error.message
