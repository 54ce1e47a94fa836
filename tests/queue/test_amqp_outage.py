"""queue.driver.amqp when the broker goes away and comes back (a broker of its own: the
session's is shared)."""
from __future__ import annotations

import asyncio
import tempfile

import pytest

from wippy.errors import UNAVAILABLE, WippyError
from wippy.queue import new_message
from wippy.queue.amqp import AmqpDriver, AmqpQueueOptions

from tests.conftest import missing_server
from tests.rabbitmq_server import RabbitServer, installed

pytestmark = pytest.mark.anyio


@pytest.fixture(autouse=True)
def rabbitmq_installed():
    if not installed():     # a skip, or a failure under CI=true
        missing_server("RabbitMQ is not installed (apt-get install -y rabbitmq-server)")


async def test_publish_during_an_outage_is_retryable_and_the_driver_reconnects():
    with tempfile.TemporaryDirectory(prefix="wippy-rmq-") as directory:
        server = RabbitServer(directory)
        await asyncio.to_thread(server.start)
        driver = AmqpDriver("test:amqp", server.url, reconnect_delay=0.2)
        driver.declare("jobs", AmqpQueueOptions())
        try:
            await driver.start()
            await driver.publish("jobs", new_message("before"))
            await asyncio.to_thread(server.stop)
            with pytest.raises(WippyError) as exc:
                await asyncio.wait_for(driver.publish("jobs", new_message("during")), 10)
            assert exc.value.kind == UNAVAILABLE and exc.value.retryable
            restarted = RabbitServer(directory, port=server.port)
            server = restarted
            await asyncio.to_thread(server.start)
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while True:
                try:
                    await asyncio.wait_for(driver.publish("jobs", new_message("after")), 5)
                    break
                except (WippyError, asyncio.TimeoutError):
                    if loop.time() > deadline:
                        raise
                    await asyncio.sleep(0.2)
            sub = await driver.subscribe("jobs", prefetch=10)
            got = [(await asyncio.wait_for(sub.receive(), 5)) for _ in range(2)]
            assert [d.message.body for d in got] == ["before", "after"]
            for d in got:
                await driver.ack(d)
        finally:
            await driver.stop()
            await asyncio.to_thread(server.stop)
