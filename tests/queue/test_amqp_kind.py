"""queue.driver.amqp as an entry: Wippy's fields, strict config, and a start against a broker
that is not there."""
from __future__ import annotations

import asyncio

import pytest

from wippy.errors import UNAVAILABLE, ConfigErrors, WippyError
from wippy.kinds import merge
from wippy.kinds.queue import KINDS as QUEUE_KINDS
from wippy.kinds.queue import AmqpDriverKind, QueueKind
from wippy.lua.modules.queue.module import QueueModule
from wippy.queue import new_message
from wippy.queue.amqp import AmqpDriver, AmqpQueueOptions, queue_arguments
from wippy.registry.config import decode
from wippy.registry.entry import Entry
from wippy.registry.plan import prepare

from tests.rabbitmq_server import free_port

MODULES = {"queue": QueueModule()}


def entry(name, kind, **data):
    return Entry("app", name, kind, data=data)


def build(**data) -> AmqpDriver:
    e = entry("mq", "queue.driver.amqp", **data)
    cfg, errors = decode(e, AmqpDriverKind.config)
    assert errors == []

    class Ctx:
        def logger(self, name):
            import logging
            return logging.getLogger(name)
    return AmqpDriverKind().build(e, cfg, Ctx())


def test_defaults_are_wippys():
    cfg, errors = decode(entry("mq", "queue.driver.amqp"), AmqpDriverKind.config)
    assert errors == []
    assert (cfg.url, cfg.auth_mechanism, cfg.reconnect_delay, cfg.reconnect_max_delay) == (
        "amqp://guest:guest@localhost:5672/", "PLAIN", 1.0, 30.0)
    cfg, errors = decode(entry("q", "queue.queue", driver="mq", driver_options={"amqp": {
        "max_length": 5, "message_ttl": "1m", "queue_expiry": "1h"}}), QueueKind.config)
    assert errors == []
    assert queue_arguments(cfg.driver_options.amqp) == {
        "x-message-ttl": 60_000, "x-expires": 3_600_000, "x-max-length": 5}
    # The driver's defaults apply where the queue gives none; durable unless told otherwise.
    assert queue_arguments(AmqpQueueOptions(), 10.0, 0.0) == {"x-message-ttl": 10_000}
    assert AmqpQueueOptions().durable is True


def test_config_is_strict():
    bad = [entry("mq", "queue.driver.amqp", urll="amqp://x/", auth_mechanism="CRAM",
                 reconnect_delay="soon"),
           entry("mq2", "queue.driver.amqp", auth_mechanism="AMQPLAIN"),
           entry("mq3", "queue.driver.amqp", tls={"enabled": True, "key": "file:///nope"}),
           entry("q", "queue.queue", driver="mq", driver_options={"amqp": {"durabel": True}})]
    with pytest.raises(ConfigErrors) as exc:
        prepare(bad, merge(QUEUE_KINDS), MODULES)
    text = "\n".join(f"{e.entry_id}: {e.field}: {e.message}" for e in exc.value.errors)
    assert "app:mq: urll:" in text and "did you mean url?" in text
    assert "app:mq: auth_mechanism:" in text
    assert "app:mq: reconnect_delay:" in text
    assert "app:mq2: auth_mechanism: AMQPLAIN is not supported" in text
    assert "app:mq3: tls.key: file not found: /nope" in text   # TLS: tests/queue/test_amqp_tls.py
    assert "app:q: driver_options.amqp.durabel:" in text


def test_vhost_field_overrides_the_urls():
    driver = build(url="amqp://u:p@127.0.0.1:5999/ignored", vhost="v/1", heartbeat="10s")
    assert driver.url == "amqp://u:p@127.0.0.1:5999/v%2F1?auth=plain&heartbeat=10"


@pytest.mark.anyio
async def test_broker_down_at_start_is_one_retryable_line_without_the_password():
    port = free_port()   # nothing listens there
    driver = build(url=f"amqp://guest:s3cret@127.0.0.1:{port}/", connection_timeout="2s")
    driver.declare("q", AmqpQueueOptions())
    with pytest.raises(WippyError) as exc:
        await asyncio.wait_for(driver.start(), 10)
    err = exc.value
    assert err.kind == UNAVAILABLE and err.retryable
    assert "\n" not in err.message and "s3cret" not in err.message
    assert err.message.startswith(f"app:mq: cannot connect to the AMQP broker at "
                                  f"amqp://127.0.0.1:{port}/")


@pytest.mark.anyio
async def test_messages_survive_a_driver_restart_and_the_queue_is_durable(amqp_url):
    driver = AmqpDriver("test:amqp", amqp_url)
    driver.declare("jobs", AmqpQueueOptions())
    await driver.start()
    await driver.publish("jobs", new_message({"n": 1}, {"trace": "t1"}))
    await driver.stop()
    # A fresh driver (another process, in effect) finds the message on the broker.
    other = AmqpDriver("test:amqp", amqp_url)
    other.declare("jobs", AmqpQueueOptions())
    await other.start()
    try:
        sub = await other.subscribe("jobs", prefetch=1)
        d = await asyncio.wait_for(sub.receive(), 5)
        assert d.message.body == {"n": 1} and d.message.headers["trace"] == "t1"
        await other.ack(d)
    finally:
        await other.stop()


@pytest.mark.anyio
async def test_consumer_options_tag_and_unknown_keys(amqp_url):
    import re
    driver = AmqpDriver("test:amqp", amqp_url)
    driver.declare("jobs", AmqpQueueOptions())
    await driver.start()
    try:
        sub = await driver.subscribe("jobs", 1, options={"consumer_tag": "worker", "no_wait": True})
        assert re.fullmatch(r"worker-[0-9a-f]{8}", sub.tag)
        plain = await driver.subscribe("jobs", 1)
        assert re.fullmatch(r"jobs-[0-9a-f]{8}", plain.tag)
        with pytest.raises(WippyError, match=r"^driver_options.amqp.exclusiv: unknown consumer"):
            await driver.subscribe("jobs", 1, options={"exclusiv": True})
    finally:
        await driver.stop()


def test_queue_type_classic_by_default_quorum_on_request_and_checked():
    # classic: no x-queue-type, exactly Go Wippy's declaration (a shared broker accepts both).
    assert "x-queue-type" not in queue_arguments(AmqpQueueOptions())
    cfg, errors = decode(entry("q", "queue.queue", driver="mq", driver_options={"amqp": {
        "queue_type": "quorum"}}), QueueKind.config)
    assert errors == [] and queue_arguments(cfg.driver_options.amqp) == {"x-queue-type": "quorum"}
    bad = [entry("mq", "queue.driver.amqp"),
           entry("q1", "queue.queue", driver="mq", driver_options={"amqp": {"queue_type": "qourum"}}),
           entry("q2", "queue.queue", driver="mq", driver_options={"amqp": {
               "queue_type": "quorum", "auto_delete": True}})]
    with pytest.raises(ConfigErrors) as exc:
        prepare(bad, merge(QUEUE_KINDS), MODULES)
    text = "\n".join(f"{e.entry_id}: {e.field}: {e.message}" for e in exc.value.errors)
    assert "app:q1: driver_options.amqp.queue_type: must be one of classic, quorum" in text
    assert "did you mean quorum?" in text
    assert "app:q2: driver_options.amqp.queue_type: a quorum queue is always durable" in text


@pytest.mark.anyio
async def test_a_quorum_queue_is_declared_as_one_and_works(amqp_url, rabbitmq_server):
    driver = AmqpDriver("test:amqp", amqp_url)
    driver.declare("replicated", AmqpQueueOptions(queue_type="quorum"))
    driver.declare("plain", AmqpQueueOptions())
    await driver.start()
    try:
        await driver.publish("replicated", new_message({"n": 1}))
        sub = await driver.subscribe("replicated", prefetch=1)
        d = await asyncio.wait_for(sub.receive(), 5)
        assert d.message.body == {"n": 1}
        await driver.ack(d)
        vhost = amqp_url.rsplit("/", 1)[1]
        listed = await asyncio.to_thread(rabbitmq_server.ctl, "list_queues", "-p", vhost,
                                         "name", "type")
        types = dict(line.split() for line in listed.splitlines()
                     if line.startswith(("replicated", "plain")))
        assert types == {"replicated": "quorum", "plain": "classic"}, listed
    finally:
        await driver.stop()
