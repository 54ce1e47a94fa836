"""What a hostile or clumsy client can hold at the HTTP edge, on raw sockets: malformed
bodies, slow uploads, early error answers and oversized heads (docs/operations.md)."""
import asyncio
import time
import urllib.error
import urllib.request

import httpx
import pytest

from wippy.http import ServerOptions

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
