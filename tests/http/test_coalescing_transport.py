"""CoalescingTransport (wippy/http/protocol.py) on a real socket pair."""
from __future__ import annotations

import asyncio
import socket

import pytest

from wippy.http.protocol import CoalescingTransport

pytestmark = pytest.mark.anyio


async def _pair():
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    transport, _ = await loop.create_connection(asyncio.Protocol, sock=ours)
    theirs.setblocking(False)
    return loop, CoalescingTransport(transport, loop), theirs


async def _read(loop, sock, n):
    data = b""
    while len(data) < n:
        chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), 2)
        if not chunk:
            break
        data += chunk
    return data


async def test_writes_in_one_iteration_leave_together_and_in_order():
    loop, transport, theirs = await _pair()
    try:
        transport.write(b"HTTP/1.1 200 OK\r\n\r\n")
        transport.write(b"body")
        # Held until the iteration ends, but counted as buffered for flow control.
        assert transport.get_write_buffer_size() == len(b"HTTP/1.1 200 OK\r\n\r\nbody")
        assert await _read(loop, theirs, 23) == b"HTTP/1.1 200 OK\r\n\r\nbody"
        transport.write(b"second")
        assert await _read(loop, theirs, 6) == b"second"
    finally:
        transport.close()
        theirs.close()


async def test_close_flushes_what_is_pending_first():
    loop, transport, theirs = await _pair()
    try:
        transport.write(b"last words")
        transport.close()
        assert await _read(loop, theirs, 100) == b"last words"
        assert transport.is_closing()
    finally:
        theirs.close()
