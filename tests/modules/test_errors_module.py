"""The `errors` global: errors.new / wrap / is and the kind constants."""
from __future__ import annotations

import pytest

from tests.modules.lua import lua, values


def test_present_without_declaring_a_module():
    assert values("return type(errors), errors.INVALID, errors.NOT_FOUND, errors.UNKNOWN",
                  modules=()) == ["table", "Invalid", "NotFound", "Unknown"]


def test_constants():
    names = ["NOT_FOUND", "ALREADY_EXISTS", "INVALID", "PERMISSION_DENIED", "UNAVAILABLE",
             "INTERNAL", "CANCELED", "CONFLICT", "TIMEOUT", "RATE_LIMITED", "UNKNOWN"]
    got = values("local out = {} for _, n in ipairs(...) do out[#out+1] = errors[n] end return out",
                 args=(names,))
    assert got[0] == ["NotFound", "AlreadyExists", "Invalid", "PermissionDenied", "Unavailable",
                      "Internal", "Canceled", "Conflict", "Timeout", "RateLimited", "Unknown"]


def test_new_from_string():
    assert values("""
        local e = errors.new("boom")
        return e:kind(), e:message(), e:retryable(), e:details(), tostring(e), "x: " .. e
    """) == ["Unknown", "boom", None, None, "boom", "x: boom"]


def test_new_from_table_copies_details():
    got = values("""
        local d = {user_id = 123, tags = {"a"}}
        local e = errors.new({message = "user not found", kind = errors.NOT_FOUND,
                              retryable = false, details = d})
        d.user_id = 0
        return e:kind(), e:message(), e:retryable(), e:details().user_id, e:details().tags[1]
    """)
    assert got == ["NotFound", "user not found", False, 123, "a"]


@pytest.mark.parametrize("call, message", [
    ("errors.new({})", "bad argument #1 to 'new' (message field is required)"),
    ("errors.new({message = 5})", "message must be a string"),
    ("errors.new(42)", "expected string or table, got number"),
    ("errors.wrap(nil, 'ctx')", "bad argument #1 to 'wrap'"),
    ("errors.wrap('x', 5)", "bad argument #2 to 'wrap'"),
    ("errors.is(errors.new('x'))", "bad argument #2 to 'is'"),
])
def test_argument_misuse_raises(call, message):
    result = lua(call)
    assert result.raised and message in result.error.message
    assert "test:fn:2:" in result.error.message          # points at the caller's line


def test_wrap_keeps_metadata_and_adds_context():
    got = values("""
        local inner = errors.new({message = "queue not found", kind = errors.NOT_FOUND,
                                  retryable = true, details = {q = "jobs"}})
        local e = errors.wrap(inner, "publish failed")
        local s = errors.wrap("plain", errors.new("ctx"))
        return e:message(), e:kind(), e:retryable(), e:details().q, s:message(), s:kind()
    """)
    assert got == ["publish failed: queue not found", "NotFound", True, "jobs", "ctx: plain", "Unknown"]


def test_is():
    assert values("""
        local e = errors.new({message = "m", kind = errors.INVALID})
        return errors.is(e, errors.INVALID), errors.is(e, errors.NOT_FOUND),
               errors.is("m", errors.INVALID), errors.is(nil, "Invalid"),
               errors.call_stack(e).frames[1].line
    """) == [True, False, False, False, 3]


def test_returned_and_raised_errors_reach_python_with_their_kind():
    result = lua("return nil, errors.new({message = 'gone', kind = errors.NOT_FOUND, retryable = false})")
    assert not result.raised and result.error.kind == "NotFound" and result.error.message == "gone"
    result = lua("error(errors.new({message = 'bad', kind = errors.INVALID}))")
    assert result.raised and (result.error.kind, result.error.message) == ("Invalid", "bad")


def test_table_is_read_only():
    result = lua("errors.FOO = 1")
    assert result.raised and "read-only" in result.error.message
