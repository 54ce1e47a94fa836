"""Edge guarantees of the HTTP service: the concurrency limit (counted from the handler's
start), shutdown with stalled uploads, and generic error bodies."""
import asyncio
import re
import time

import httpx
import pytest

from wippy.http import ServerOptions

from ..polling import wait_until
from .helpers import handler, serving
from .stubs import Latch

pytestmark = pytest.mark.anyio

OK = handler("res:write_json({ok = true})")
# What must never reach a client: tracebacks, Lua/Python sources and positions, SQL, paths.
LEAK = re.compile(r"Traceback|\.lua|\.py\b|:\d+:|\bSELECT\b|\bINSERT\b|\bFROM\b|/etc/|/tmp/"
                  r"|/work/|stack traceback|attempt to", re.IGNORECASE)


HELD = handler("latch.wait(); res:write_json({ok = true})", ("latch",))


async def test_requests_over_the_concurrency_limit_get_503_with_retry_after(caplog):
    latch = Latch()
    options = ServerOptions(limit_concurrency=2, stop_timeout=2.0)
    async with serving([("POST", "/up", HELD), ("POST", "/ok", OK)], options=options,
                       extra_modules={"latch": latch}) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as c:
            held = [asyncio.create_task(c.post("/up", content=b"{}")) for _ in range(2)]
            await wait_until(lambda: latch.waiting == 2, what="2 handlers running")
            assert server.app.gate.active == 2
            refused = await asyncio.gather(*(c.post("/ok", content=b"{}") for _ in range(5)))
            for r in refused:
                assert r.status_code == 503 and r.headers["retry-after"] == "1"
                assert r.json()["error"]["code"] == "overloaded"
                assert r.headers["x-request-id"] == r.json()["error"]["request_id"]
            # One warning per overload episode, not one per refused request.
            warnings = [m for m in caplog.messages if "concurrency limit reached" in m]
            assert len(warnings) == 1
            latch.release()
            assert [r.status_code for r in await asyncio.gather(*held)] == [200, 200]
            assert server.app.gate.active == 0
            assert (await c.post("/ok", content=b"{}")).status_code == 200


async def test_no_limit_when_zero():
    latch = Latch()
    options = ServerOptions(limit_concurrency=0, stop_timeout=2.0)
    async with serving([("POST", "/up", HELD), ("POST", "/ok", OK)], options=options,
                       extra_modules={"latch": latch}) as server:
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as c:
            held = [asyncio.create_task(c.post("/up", content=b"{}")) for _ in range(3)]
            await wait_until(lambda: latch.waiting == 3, what="3 handlers running")
            assert (await c.post("/ok", content=b"{}")).status_code == 200
            latch.release()
            await asyncio.gather(*held)


async def test_stop_does_not_wait_for_a_stalled_upload():
    # The grace period is ~7.7 s; a body that never arrives must not use it up.
    options = ServerOptions(stop_timeout=10.0)
    async with serving([("POST", "/up", OK)], options=options) as server:
        reader, writer = await asyncio.open_connection(*server.bound)
        writer.write(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n{")
        await writer.drain()
        await wait_until(lambda: server.edge.buffered == 1, what="the upload under way")
        t0 = time.monotonic()
        await server.stop()
        assert time.monotonic() - t0 < 2.0
        assert await asyncio.wait_for(reader.read(), 2) == b""   # closed, no answer
        writer.close()


@pytest.mark.parametrize("body", [
    'error("SELECT * FROM tasks WHERE id = 1 in /etc/app/create_task.lua")',
    'local t = nil; return t.field',
    'return nil, "INSERT INTO results failed: /tmp/x/data.db is read-only"',
])
async def test_handler_errors_answer_a_generic_500_and_log_the_detail(body, caplog):
    async with serving([("GET", "/boom", handler(body))]) as server:
        async with httpx.AsyncClient(base_url=server.url) as c:
            r = await c.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/json"
    err = r.json()["error"]
    assert set(err) == {"code", "message", "request_id"}
    assert (err["code"], err["message"]) == ("handler_error", "internal server error")
    assert re.fullmatch(r"[0-9a-f]{32}", err["request_id"])
    assert r.headers["x-request-id"] == err["request_id"]
    assert not LEAK.search(r.text), r.text
    assert set(r.headers) == {"date", "content-type", "content-length", "x-request-id"}
    logged = [rec for rec in caplog.records
              if getattr(rec, "fields", {}).get("request_id") == err["request_id"]]
    assert len(logged) == 1 and logged[0].levelname == "ERROR"
    assert LEAK.search(logged[0].getMessage())    # the detail is in the log, not the body
