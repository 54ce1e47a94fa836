"""What a hostile or clumsy client can hold at the HTTP edge, on raw sockets: malformed
bodies, slow uploads, early error answers and oversized heads (docs/operations.md)."""
import asyncio
import time
import urllib.error
import urllib.request

import httpx
import pytest

from wippy.http import ServerOptions

from ..polling import wait_until
from .helpers import handler, serving

pytestmark = pytest.mark.anyio

OK = handler("res:write_json({ok = true})")
BAD_CHUNK = (b"POST /up HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
             b"zz\r\n{}\r\n0\r\n\r\n")


async def answer_and_close(server, payload: bytes, timeout: float = 5.0) -> tuple[bytes, float]:
    """Send `payload` on a fresh connection; (all bytes until the server closed, seconds)."""
    reader, writer = await asyncio.open_connection(*server.bound)
    t0 = time.monotonic()
    try:
        writer.write(payload)
        await writer.drain()
        data = b""
        while chunk := await asyncio.wait_for(reader.read(65536), timeout):
            data += chunk
        return data, time.monotonic() - t0
    finally:
        writer.close()


async def test_malformed_chunk_size_is_answered_400_at_once_and_frees_its_slot():
    options = ServerOptions(limit_concurrency=5, stop_timeout=2.0)
    async with serving([("POST", "/up", OK)], options=options) as server:
        # Five at once, as many as the limit: none may hold a request slot.
        answers = await asyncio.gather(*(answer_and_close(server, BAD_CHUNK) for _ in range(5)))
        for data, seconds in answers:
            assert data.startswith(b"HTTP/1.1 400 Bad Request"), data
            assert b"connection: close" in data
            assert seconds < 2
        # All five slots are free again: a normal request is served, not refused with 503.
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as c:
            assert (await c.post("/up", content=b"{}")).status_code == 200


def urllib_post(url: str, body: bytes) -> int:
    """What a plain urllib client sees: the status, or the connection error it raised."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


async def test_an_early_413_reaches_a_client_that_is_still_sending():
    # urllib sends the whole body before it reads: without a lingering close the server's
    # close resets the connection under it and it never sees the 413.
    options = ServerOptions(max_body=1024, stop_timeout=2.0)
    async with serving([("POST", "/up", OK)], options=options) as server:
        body = b"x" * (4 << 20)
        for _ in range(10):
            assert await asyncio.to_thread(urllib_post, server.url + "/up", body) == 413
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as c:
            assert (await c.post("/up", content=b"{}")).status_code == 200


async def trickle(server, stop: asyncio.Event, interval: float) -> bytes:
    """An upload that sends one body byte every `interval` until `stop`; what it got back."""
    reader, writer = await asyncio.open_connection(*server.bound)
    try:
        writer.write(b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        while not stop.is_set():
            writer.write(b"x")
            await writer.drain()
            try:   # this client's pacing: wake early only when the test ends
                await asyncio.wait_for(stop.wait(), interval)
            except asyncio.TimeoutError:
                pass
        try:   # anything the server sent (an answer, or b"" if it closed) shows up at once
            return await asyncio.wait_for(reader.read(65536), 0.1)
        except asyncio.TimeoutError:
            return b"(open, nothing received)"
    finally:
        writer.close()


async def test_slow_uploads_hold_no_request_slot():
    # 60 uploads at a byte every 2 s against 20 slots: they hold connections only. The
    # 3 s body idle timeout restarts at each read, so none of them is cut off either.
    options = ServerOptions(limit_concurrency=20, body_idle_timeout=3.0, stop_timeout=2.0)
    async with serving([("POST", "/up", OK)], options=options) as server:
        stop = asyncio.Event()
        slow = [asyncio.create_task(trickle(server, stop, 2.0)) for _ in range(60)]
        await wait_until(lambda: server.edge.buffered == 60, what="60 uploads under way")
        t_end = time.monotonic() + 4.5      # two more bytes each, past the idle timeout
        statuses = []
        async with httpx.AsyncClient(base_url=server.url, timeout=5) as c:
            while time.monotonic() < t_end:
                t0 = time.monotonic()
                statuses.append((await c.post("/up", content=b"{}")).status_code)
                assert time.monotonic() - t0 < 1
                await asyncio.sleep(0.1)    # the probe's pacing, not a wait for work
        assert statuses and set(statuses) == {200}, statuses
        assert server.edge.buffered >= 60 * 3     # every upload still sending
        assert server.app.gate.active == 0
        stop.set()
        quiet = b"(open, nothing received)"
        assert await asyncio.gather(*slow) == [quiet] * 60   # none was answered or cut


async def test_a_stalled_body_is_answered_408_after_the_body_idle_timeout():
    options = ServerOptions(body_idle_timeout=0.5, stop_timeout=2.0)   # read_timeout: none
    async with serving([("POST", "/up", OK)], options=options) as server:
        data, seconds = await answer_and_close(
            server, b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n{")
        assert data.startswith(b"HTTP/1.1 408 Request Timeout"), data
        assert b'"code": "body_timeout"' in data and b"x-request-id: " in data
        assert 0.5 <= seconds < 2
        assert server.edge.buffered == 0


async def test_connections_past_max_connections_are_answered_503_and_closed():
    options = ServerOptions(max_connections=3, stop_timeout=2.0)
    async with serving([("GET", "/", OK)], options=options) as server:
        conns = server._server.server_state.connections
        held = [await asyncio.open_connection(*server.bound) for _ in range(3)]
        await wait_until(lambda: len(conns) == 3, what="3 open connections")
        data, _ = await answer_and_close(server, b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 503 Service Unavailable"), data
        assert b"retry-after: 1" in data and b'"code": "overloaded"' in data
        held.pop()[1].close()
        await wait_until(lambda: len(conns) == 2, what="one connection closed")
        data, _ = await answer_and_close(server, b"GET / HTTP/1.1\r\nHost: t\r\n"
                                                 b"Connection: close\r\n\r\n")
        assert data.startswith(b"HTTP/1.1 200 OK"), data
        for _, writer in held:
            writer.close()


async def test_bodies_still_arriving_share_one_byte_budget():
    options = ServerOptions(max_body=10_000, max_body_buffer=1000, stop_timeout=2.0)
    head = b"POST /up HTTP/1.1\r\nHost: t\r\nContent-Length: 2000\r\n\r\n"
    async with serving([("POST", "/up", OK)], options=options) as server:
        reader, writer = await asyncio.open_connection(*server.bound)
        writer.write(head + b"a" * 600)
        await wait_until(lambda: server.edge.buffered == 600, what="600 bytes held")
        data, _ = await answer_and_close(server, head + b"b" * 600)
        assert data.startswith(b"HTTP/1.1 503 Service Unavailable"), data
        assert b"retry-after: 1" in data and b'"code": "overloaded"' in data
        assert server.edge.buffered == 600
        writer.write(b"a" * 1400)           # the first upload completes normally
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(
            b"HTTP/1.1 200 OK")
        assert server.edge.buffered == 0
        writer.close()


def get(target: bytes = b"/", headers: bytes = b"Host: t\r\n", version: bytes = b"1.1") -> bytes:
    return b"GET " + target + b" HTTP/" + version + b"\r\n" + headers + \
        b"Connection: close\r\n\r\n"


async def test_request_heads_over_the_limits_get_431_414_or_400():
    async with serving([("GET", "/", OK)]) as server:
        async def status(payload: bytes) -> bytes:
            data, seconds = await answer_and_close(server, payload)
            assert seconds < 3
            return data.split(b"\r\n", 1)[0]
        header = b"Host: t\r\nX-Big: "
        assert await status(get(headers=header + b"a" * 60_000 + b"\r\n")) == b"HTTP/1.1 200 OK"
        assert await status(get(headers=header + b"a" * 66_000 + b"\r\n")) == \
            b"HTTP/1.1 431 Request Header Fields Too Large"
        # 16 MiB of one header: cut off while it arrives (nothing like it is buffered);
        # the client, still sending, reads the 431 thanks to the lingering close.
        assert await status(get(headers=header + b"a" * (16 << 20) + b"\r\n")) == \
            b"HTTP/1.1 431 Request Header Fields Too Large"
        # 100 headers with Host and Connection (get() adds it), then 101
        many = b"Host: t\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(98))
        assert await status(get(headers=many)) == b"HTTP/1.1 200 OK"
        assert await status(get(headers=many + b"X-One-More: v\r\n")) == \
            b"HTTP/1.1 431 Request Header Fields Too Large"
        assert await status(get(headers=b"".join(b"X-H%d: v\r\n" % i
                                                  for i in range(100_000)))) == \
            b"HTTP/1.1 431 Request Header Fields Too Large"
        assert await status(get(b"/?q=" + b"a" * (8192 - 4))) == b"HTTP/1.1 200 OK"
        assert await status(get(b"/?q=" + b"a" * (8192 - 3))) == b"HTTP/1.1 414 URI Too Long"
        assert await status(get(b"/?q=" + b"a" * (1 << 20))) == b"HTTP/1.1 414 URI Too Long"
        data, _ = await answer_and_close(server, get(headers=b""))
        assert data.startswith(b"HTTP/1.1 400 Bad Request")
        assert data.endswith(b"missing required Host header")
        assert await status(get(headers=b"", version=b"1.0")) == b"HTTP/1.1 200 OK"
        data, _ = await answer_and_close(server, get(headers=b"Host: a\r\nHost: b\r\n"))
        assert data.startswith(b"HTTP/1.1 400 Bad Request")
        assert data.endswith(b"too many Host headers")


async def test_head_limits_are_service_fields():
    options = ServerOptions(max_header_bytes=1024, max_headers=5, max_uri=64, stop_timeout=2.0)
    async with serving([("GET", "/", OK)], options=options) as server:
        async def status(payload: bytes) -> bytes:
            return (await answer_and_close(server, payload))[0].split(b"\r\n", 1)[0]
        assert await status(get(headers=b"Host: t\r\nX: " + b"a" * 900 + b"\r\n")) == \
            b"HTTP/1.1 200 OK"
        assert await status(get(headers=b"Host: t\r\nX: " + b"a" * 1100 + b"\r\n")) == \
            b"HTTP/1.1 431 Request Header Fields Too Large"
        five = b"Host: t\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(3))
        assert await status(get(headers=five)) == b"HTTP/1.1 200 OK"
        assert await status(get(headers=five + b"X-6: v\r\n")) == \
            b"HTTP/1.1 431 Request Header Fields Too Large"
        assert await status(get(b"/?" + b"a" * 62)) == b"HTTP/1.1 200 OK"
        assert await status(get(b"/?" + b"a" * 63)) == b"HTTP/1.1 414 URI Too Long"
