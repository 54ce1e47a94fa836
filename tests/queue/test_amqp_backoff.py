"""queue.driver.amqp reconnects with backoff: reconnect_delay doubling up to
reconnect_max_delay while the broker cannot be reached, back to reconnect_delay once it is.
The broker is the session's, behind a loopback proxy the test can cut and restore."""
from __future__ import annotations

import asyncio
import contextlib
import urllib.parse

import pytest

from wippy.queue import new_message
from wippy.queue.amqp import AmqpDriver, AmqpQueueOptions

pytestmark = pytest.mark.anyio


class Proxy:
    """TCP forwarding to the broker; `cut()` drops every connection and stops listening
    (new dials are refused), `restore()` listens again on the same port."""

    def __init__(self, target: tuple[str, int]):
        self.target = target
        self.port = 0
        self.server: asyncio.AbstractServer | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def _pipe(self, reader, writer):
        with contextlib.suppress(Exception):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _client(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def listen(self):
        self.server = await asyncio.start_server(self._client, "127.0.0.1", self.port)
        self.port = self.server.sockets[0].getsockname()[1]

    async def cut(self):
        self.server.close()
        for writer in self.writers:
            writer.transport.abort()
        self.writers.clear()
        await self.server.wait_closed()

    async def restore(self):
        await self.listen()


async def until(check, timeout, message):
    deadline = asyncio.get_running_loop().time() + timeout
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {message}")
        await asyncio.sleep(0.02)


async def test_reconnect_backs_off_to_the_cap_and_resets(amqp_url):
    parts = urllib.parse.urlsplit(amqp_url)
    proxy = Proxy((parts.hostname, parts.port))
    await proxy.listen()
    url = amqp_url.replace(f":{parts.port}/", f":{proxy.port}/")
    driver = AmqpDriver("test:amqp", url, reconnect_delay=0.05, reconnect_max_delay=0.4)
    driver.declare("jobs", AmqpQueueOptions())
    await driver.start()
    try:
        connection = driver.connection
        assert connection.reconnect_interval == 0.05
        await proxy.cut()
        # Every refused attempt doubles the wait: 0.1, 0.2, 0.4, then it stays at the cap.
        await until(lambda: connection.reconnect_interval == 0.4, 10, "the capped delay")
        await asyncio.sleep(0.5)     # more refused attempts: still capped, not 0.8
        assert connection.reconnect_interval == 0.4
        await proxy.restore()
        await until(lambda: connection.reconnect_interval == 0.05, 10, "the reset delay")

        async def published():
            await driver.publish("jobs", new_message("after"))
        await asyncio.wait_for(_retry(published), 10)
    finally:
        await driver.stop()
        with contextlib.suppress(Exception):
            await proxy.cut()


async def _retry(fn):
    while True:
        try:
            return await fn()
        except Exception:
            await asyncio.sleep(0.05)
