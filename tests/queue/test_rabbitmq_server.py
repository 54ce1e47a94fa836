"""The private RabbitMQ node the amqp tests run on (tests/rabbitmq_server.py)."""
import asyncio
import os
import tempfile

import pytest

from tests.rabbitmq_server import RabbitServer, installed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill 0; Popen.wait in stop() reaps ours, so a live pid is real.
    return True


def _vm_pids_in(directory: str) -> list[int]:
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if "beam" in cmd and directory in cmd:
            found.append(int(pid))
    return found


def test_vhosts_are_separate(rabbitmq_server, amqp_url):
    import aio_pika
    other = rabbitmq_server.next_vhost_url()

    async def main():
        a = await aio_pika.connect(amqp_url)
        b = await aio_pika.connect(other)
        try:
            ca = await a.channel()
            await ca.declare_queue("only-here", durable=True)
            cb = await b.channel()
            with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
                await cb.declare_queue("only-here", passive=True)
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


@pytest.mark.skipif(not installed(), reason="RabbitMQ is not installed")
def test_stop_leaves_no_broker_or_epmd_behind():
    with tempfile.TemporaryDirectory(prefix="wippy-rmq-") as directory:
        server = RabbitServer(directory)
        server.start()
        try:
            pids = [p.pid for p in server.procs]
            assert all(_alive(pid) for pid in pids)
            assert _vm_pids_in(directory), "the Erlang VM runs with its home in the directory"
        finally:
            server.stop()
        assert not any(_alive(pid) for pid in pids)
        assert _vm_pids_in(directory) == []
