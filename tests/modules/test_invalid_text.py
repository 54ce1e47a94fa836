"""Lua strings are bytes; the bridge to Python carries UTF-8 text. Strings that are not
valid UTF-8 must give a clear error or a documented replacement, never a crash."""
from __future__ import annotations

import logging

from tests.modules.lua import lua, values

BAD = '"caf\\233 \\255"'          # Latin-1 "é" and a stray 0xFF: not UTF-8
FFFD = "\ufffd"


def test_json_encode_replaces_invalid_bytes_like_go():
    assert values(f"return json.encode({BAD})") == [f'"caf{FFFD} {FFFD}"', None]
    assert values(f"return json.encode({{name = {BAD}, ok = true}})") == [
        f'{{"name":"caf{FFFD} {FFFD}","ok":true}}', None]
    assert values(f"return json.encode({{[{BAD}] = 1}})") == [f'{{"caf{FFFD} {FFFD}":1}}', None]


def test_results_and_error_messages_cross_with_replacement():
    assert values(f"return {BAD}, {{k = {BAD}}}") == [f"caf{FFFD} {FFFD}", {"k": f"caf{FFFD} {FFFD}"}]
    result = lua(f'error("bad " .. {BAD})')
    assert result.raised and result.error.message == f"test:fn:2: bad caf{FFFD} {FFFD}"
    result = lua(f"error(errors.new({BAD}))")
    assert result.raised and result.error.message == f"caf{FFFD} {FFFD}"


def test_invalid_text_passed_to_a_module_function_is_an_invalid_argument():
    result = lua(f"local ok = uuid.validate({BAD})\nreturn ok")
    assert result.raised and result.error.kind == "Invalid"
    message = result.error.message
    assert message.startswith("test:fn:2: invalid argument") and "valid UTF-8" in message


def test_log_lines_replace_invalid_bytes(caplog):
    caplog.set_level(logging.INFO, logger="wippy.lua")
    values(f"logger:info({BAD}, {{detail = {BAD}}})")
    record = caplog.records[-1]
    assert record.getMessage() == f"caf{FFFD} {FFFD}"
    assert record.fields["detail"] == f"caf{FFFD} {FFFD}"
