"""The `http_client` module against real servers on 127.0.0.1 (tests/modules/http_servers.py)."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.lua_helpers import run_lua
from tests.modules.http_servers import Server, self_signed
from wippy.lua.engine import LuaEngine
from wippy.lua.modules.http_client import policy

MODS = ["http_client", "json"]


@pytest.fixture(autouse=True)
def allow_loopback(monkeypatch):
    monkeypatch.setenv(policy.ALLOW_VAR, "public,127.0.0.1/32")
    monkeypatch.delenv(policy.DENY_VAR, raising=False)


def run(body: str, server_tls=None, budget: float | None = None, tmp=None):
    """Start a server, run `body` as main(base_url), return (CallResult, server stats)."""
    async def go():
        async with Server(server_tls) as srv:
            engine = LuaEngine({}, workers=1)
            await engine.start()
            try:
                src = "return {main = function(base)\n" + body + "\nend}"
                res = await run_lua(src, modules=MODS, args=(srv.url,), engine=engine, budget=budget)
            finally:
                await engine.close()
            return res, srv.stats
    return asyncio.run(go())


def test_get_response_fields():
    res, stats = run("""
        local r, err = http_client.get(base .. "/hello")
        return r.status_code, r.body, r.body_size, r.headers["X-Test"], r.headers["Content-Type"],
               r.cookies.session, r.url, err
    """)
    assert not res.raised, res.error
    status, body, size, xtest, ctype, cookie, url, err = res.values + [None] * (8 - len(res.values))
    assert (status, body, size, xtest, ctype, cookie) == (200, "hello", 5, "yes", "text/plain", "abc")
    assert url.endswith("/hello") and err is None


def test_methods_query_headers_body_form_auth_cookies():
    res, _ = run("""
        local out = {}
        for _, m in ipairs({"post", "put", "patch", "delete"}) do
            local r = http_client[m](base .. "/echo?x=1", {query = {q = "a b"}, headers = {["X-A"] = "1"},
                                                         body = "payload-" .. m})
            out[m] = json.decode(r.body)
        end
        out.form = json.decode(http_client.post(base .. "/echo", {form = {user = "al ice"}}).body)
        out.auth = json.decode(http_client.get(base .. "/echo", {auth = {user = "u", pass = "p"},
                                                                  cookies = {c = "1"}}).body)
        out.custom = json.decode(http_client.request("PROPFIND", base .. "/echo", {headers = {Depth = "1"}}).body)
        local h = http_client.head(base .. "/hello")
        out.head = {h.status_code, h.body, h.headers["Content-Length"]}
        return out
    """)
    out = res.values[0]
    for m in ("post", "put", "patch", "delete"):
        assert out[m]["method"] == m.upper() and out[m]["body"] == "payload-" + m
        assert out[m]["target"] == "/echo?x=1&q=a+b" and out[m]["headers"]["x-a"] == "1"
    assert out["form"]["body"] == "user=al+ice"
    assert out["form"]["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert out["auth"]["headers"]["authorization"] == "Basic dTpw"
    assert out["auth"]["headers"]["cookie"] == "c=1"
    assert out["custom"]["method"] == "PROPFIND" and out["custom"]["headers"]["depth"] == "1"
    assert out["head"] == [200, "", "5"]


def test_binary_bodies_cross_byte_for_byte():
    res, _ = run("""
        local r = http_client.get(base .. "/bin")
        local ok = #r.body == 256
        for i = 0, 255 do ok = ok and r.body:byte(i + 1) == i end
        local sent = http_client.post(base .. "/echo", {body = "\\0\\255\\128"})
        return ok, json.decode(sent.body).body_hex
    """)
    assert res.values[:2] == [True, "00ff80"]


def test_chunked_response_and_streaming():
    res, _ = run("""
        local r = http_client.get(base .. "/chunked")
        local s = http_client.get(base .. "/chunked", {stream = true})
        local parts = {}
        while true do
            local chunk, err = s.stream:read(4)
            if err or not chunk then break end
            parts[#parts + 1] = chunk
        end
        s.stream:close()
        return r.body, table.concat(parts), s.body_size, #parts >= 4
    """)
    assert res.values == ["one,two,three", "one,two,three", -1, True]


def test_slow_server_hits_the_request_timeout():
    t0 = time.monotonic()
    res, _ = run("""
        local r, err = http_client.get(base .. "/slow", {timeout = "300ms"})
        local r2, err2 = http_client.get(base .. "/silent", {timeout = 0.3})
        return r, err:kind(), err:retryable(), err:message(), err2:message()
    """)
    _, kind, retryable, message, message2 = res.values
    assert kind == "Internal" and retryable is True and "timed out" in message and "timed out" in message2
    assert time.monotonic() - t0 < 3


def test_the_call_budget_bounds_a_request_without_timeout():
    t0 = time.monotonic()
    res, _ = run("""
        local r, err = http_client.get(base .. "/silent")
        return r, err and err:message()
    """, budget=0.5)
    assert "timed out" in (res.values[1] or res.error.message)
    assert time.monotonic() - t0 < 3


@pytest.mark.parametrize("path", ["/huge", "/huge-chunked"])
def test_huge_response_stops_at_max_response_body(path):
    res, stats = run(f"""
        local r, err = http_client.get(base .. "{path}", {{max_response_body = 1048576}})
        local d, derr = http_client.get(base .. "{path}")          -- default limit: 32 MiB
        return r, err:message(), derr:message()
    """)
    _, message, default_message = res.values
    assert "exceeds max_response_body (1048576 bytes)" in message
    assert "max_response_body (33554432 bytes)" in default_message
    assert stats["sent"] < 100 << 20          # the client stopped reading; the server did not finish


def test_redirects_followed_and_loops_refused():
    res, stats = run("""
        local r = http_client.get(base .. "/redirect")
        local _, err = http_client.get(base .. "/loop")
        return r.status_code, r.body, r.url, err:kind(), err:message()
    """)
    status, body, url, kind, message = res.values
    assert (status, body) == (200, "hello") and url.endswith("/hello")
    assert kind == "Internal" and "stopped after 10 redirects" in message


def test_policy_refuses_private_addresses_by_default(monkeypatch):
    monkeypatch.delenv(policy.ALLOW_VAR)
    res, stats = run("""
        local _, e1 = http_client.get(base .. "/hello")
        local _, e2 = http_client.get("http://localhost:9/")
        return e1:kind(), e1:message(), e2:kind(), e1:retryable()
    """)
    kind, message, kind2, retryable = res.values
    assert kind == kind2 == "PermissionDenied" and retryable is False
    assert "private IP 127.0.0.1" in message
    assert stats["requests"] == 0


def test_policy_checks_every_redirect_hop_and_deny_wins(monkeypatch):
    res, stats = run("""
        local _, e1 = http_client.get(base .. "/to-private")
        return e1:kind(), e1:message()
    """)
    assert res.values == ["PermissionDenied",
                          "not allowed: private IP 127.0.0.2 (see WIPPY_HTTP_CLIENT_ALLOW / WIPPY_HTTP_CLIENT_DENY)"]
    monkeypatch.setenv(policy.ALLOW_VAR, "*")
    monkeypatch.setenv(policy.DENY_VAR, "127.0.0.0/8")
    res, _ = run('local _, e = http_client.get(base .. "/hello") return e:kind()')
    assert res.values == ["PermissionDenied"]


def test_tls_self_signed_needs_the_ca_or_insecure(tmp_path):
    ctx, pem = self_signed(tmp_path)
    res, _ = run(f"""
        local _, bad = http_client.get(base .. "/hello")
        local ok = http_client.get(base .. "/hello", {{tls = {{ca = [[{pem}]]}}}})
        local skip = http_client.get(base .. "/hello", {{tls = {{insecure_skip_verify = true}}}})
        local _, wrong = http_client.get(base .. "/hello", {{tls = {{ca = [[{pem}]], server_name = "other.test"}}}})
        return bad:message(), bad:retryable(), ok.body, skip.body, ok.url:sub(1, 8), wrong:message()
    """, server_tls=ctx)
    bad, retryable, ok, skip, scheme, wrong = res.values
    assert "certificate verif" in wrong     # the cert names 127.0.0.1, not other.test
    assert "certificate verif" in bad and retryable is False
    assert (ok, skip, scheme) == ("hello", "hello", "https://")


def test_batch_keeps_order_and_reports_errors_by_position():
    res, _ = run("""
        local responses, errs = http_client.request_batch({
            {"GET", base .. "/hello"},
            {"POST", base .. "/echo", {body = "event"}},
            {"GET", "ftp://nope"},
        })
        return responses[1].body, json.decode(responses[2].body).body, responses[3], errs[3]:kind(), errs[1]
    """)
    assert res.values[:4] == ["hello", "event", None, "Invalid"]


@pytest.mark.parametrize("call, kind, needle", [
    ('http_client.get("not a url")', "Invalid", "invalid URL"),
    ('http_client.get(base, {timeout = "soon"})', "Invalid", "options.timeout"),
    ('http_client.get(base, {bogus = 1})', "Invalid", "unknown option 'bogus'"),
    ('http_client.get(base, {unix_socket = "/tmp/x"})', "Invalid", "not supported"),
    ('http_client.request("", base)', "Invalid", "method"),
    ('http_client.get("http://127.0.0.1:1/")', "Internal", "GET http://127.0.0.1:1/"),
])
def test_errors_carry_documented_kinds(call, kind, needle):
    res, _ = run(f"local r, err = {call} return r, err")
    value, err = res.values
    assert value is None and err.kind == kind and needle in err.message


def test_encode_and_decode_uri():
    res, _ = run("""
        local _, err = http_client.decode_uri("%zz")
        return http_client.encode_uri("hello world&x=1/~"), http_client.decode_uri("hello+world%21"), err:kind()
    """)
    assert res.values == ["hello+world%26x%3D1%2F~", "hello world!", "Invalid"]


def test_connections_are_reused():
    res, stats = run("""
        for i = 1, 20 do assert(http_client.get(base .. "/hello").status_code == 200) end
        return true
    """)
    assert res.values == [True] and stats["requests"] == 20 and stats["connections"] == 1


def test_body_larger_than_the_lua_memory_is_an_error_inside_pcall():
    res, _ = run("""
        local ballast = string.rep("b", 30 * 1024 * 1024)
        local ok, r, err = pcall(http_client.get, base .. "/size/37748736", {max_response_body = 37748736})
        return ok, r, err and err:message()
    """)
    assert not res.raised, res.error
    ok, value, message = res.values
    assert ok is True and value is None
    assert "not enough memory" in message


def test_a_connect_that_never_completes_is_bounded():
    import socket
    # A listener that never accepts, its backlog filled: the kernel drops further SYNs,
    # so a new connection hangs in connect().
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(8):
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            fillers.append(s)
        t0 = time.monotonic()
        res, _ = run(f"""
            local r, err = http_client.get("http://127.0.0.1:{port}/", {{timeout = 0.4}})
            return r, err:kind(), err:retryable(), err:message()
        """)
        took = time.monotonic() - t0
    finally:
        for s in fillers:
            s.close()
        listener.close()
    _, kind, retryable, message = res.values
    assert kind == "Internal" and retryable is True and "timed out" in message, message
    assert took < 3, took
