"""queue.driver.amqp over TLS: a private broker with an amqps:// listener whose certificate
a throw-away CA signed for the name broker.test only (not 127.0.0.1)."""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from wippy.errors import UNAVAILABLE, WippyError
from wippy.kinds.queue import AmqpDriverKind
from wippy.queue import new_message
from wippy.queue.amqp import AmqpDriver, AmqpQueueOptions
from wippy.registry.config import decode
from wippy.registry.entry import Entry

from tests.conftest import missing_server
from tests.rabbitmq_server import RabbitServer, installed

pytestmark = pytest.mark.anyio


def openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(d: Path) -> dict:
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=broker.test",
            "-keyout", "server.key", "-out", "server.csr", cwd=d)
    (d / "ext").write_text("subjectAltName=DNS:broker.test\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "ext", "-out", "server.pem", cwd=d)
    for name in ("ca.pem", "server.pem", "server.key"):
        (d / name).chmod(0o644)      # the broker may run as another user
    return {"ca": str(d / "ca.pem"), "cert": str(d / "server.pem"), "key": str(d / "server.key")}


@pytest.fixture(scope="module")
def tls_broker():
    if not installed():
        missing_server("RabbitMQ is not installed (apt-get install -y rabbitmq-server)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    directory = Path(tempfile.mkdtemp(prefix="wippy-rmq-tls-"))
    certs = directory / "certs"
    certs.mkdir()
    server = RabbitServer(str(directory / "node"), tls=make_certs(certs))
    (directory / "node").mkdir()
    server.start()
    try:
        yield server, certs
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


def driver_for(server, **fields) -> AmqpDriver:
    entry = Entry("app", "mq", "queue.driver.amqp", data={
        "url": f"amqps://guest:guest@127.0.0.1:{server.tls_port}/", **fields})
    cfg, errors = decode(entry, AmqpDriverKind.config)
    assert errors == [] and AmqpDriverKind().validate(entry, cfg) == []

    class Ctx:
        objects: dict = {}

        def logger(self, name):
            import logging
            return logging.getLogger(name)
    return AmqpDriverKind().build(entry, cfg, Ctx())


async def round_trip(driver: AmqpDriver) -> None:
    driver.declare("secure", AmqpQueueOptions())
    await driver.start()
    try:
        await driver.publish("secure", new_message({"over": "tls"}))
        sub = await driver.subscribe("secure", prefetch=1)
        d = await asyncio.wait_for(sub.receive(), 10)
        assert d.message.body == {"over": "tls"}
        await driver.ack(d)
    finally:
        await driver.stop()


async def test_amqps_with_the_ca_and_server_name(tls_broker):
    server, certs = tls_broker
    await round_trip(driver_for(server, tls={"server_name": "broker.test",
                                             "ca": f"file://{certs / 'ca.pem'}"}))
    # Inline PEM (what ${env:NAME} gives) works the same.
    await round_trip(driver_for(server, tls={"enabled": True, "server_name": "broker.test",
                                             "ca": (certs / "ca.pem").read_text()}))


async def test_certificate_checks_fail_the_start_with_one_line(tls_broker):
    server, certs = tls_broker
    cases = [({"ca": f"file://{certs / 'ca.pem'}"}, "127.0.0.1"),   # name is broker.test
             ({"server_name": "broker.test"}, "certificate verify failed")]   # unknown CA
    for tls, reason in cases:
        driver = driver_for(server, tls=tls, connection_timeout="5s")
        driver.declare("secure", AmqpQueueOptions())
        with pytest.raises(WippyError) as exc:
            await driver.start()
        assert exc.value.kind == UNAVAILABLE
        assert "app:mq: cannot connect to the AMQP broker at amqps://127.0.0.1" in str(exc.value)
        assert reason in str(exc.value), str(exc.value)
        assert "guest:guest" not in str(exc.value)


async def test_insecure_skip_verify(tls_broker):
    server, _ = tls_broker
    await round_trip(driver_for(server, tls={"insecure_skip_verify": True}))


def test_bad_tls_blocks_are_named():
    from tests.queue.test_amqp_kind import MODULES, QUEUE_KINDS, entry, merge, prepare
    from wippy.errors import ConfigErrors
    bad = [entry("a", "queue.driver.amqp", tls={"enabled": True, "cert": "file:///nope.pem"}),
           entry("b", "queue.driver.amqp", url="amqps://h/", tls={"ca": "not pem"}),
           entry("c", "queue.driver.amqp", url="amqps://h/", tls={"ca": "x", "ca_env": "CA"})]
    with pytest.raises(ConfigErrors) as exc:
        prepare(bad, merge(QUEUE_KINDS), MODULES)
    text = "\n".join(f"{e.entry_id}: {e.field}: {e.message}" for e in exc.value.errors)
    assert "app:a: tls.cert: file not found: /nope.pem" in text
    assert "app:a: tls.cert: amqp tls: cert and key must come together" in text
    assert "app:b: tls.ca: must be PEM text (-----BEGIN ...) or file://path" in text
    assert "app:c: tls.ca_env: amqp tls: ca and ca_env are mutually exclusive" in text


APP = """namespace: app
entries:
  - name: static
    kind: env.storage.static
    values: {{AMQP_CA: {ca}}}
  - {{name: amqp_ca, kind: env.variable, variable: AMQP_CA, storage: static}}
  - name: mq
    kind: queue.driver.amqp
    url: amqps://guest:guest@127.0.0.1:{port}/
    tls: {{server_name: broker.test, ca_env: {ca_env}}}
    lifecycle: {{auto_start: true}}
"""


def test_deprecated_ca_env_resolves_through_an_env_variable(tls_broker, tmp_path, monkeypatch):
    import json
    from tests.host_helpers import write
    from wippy.registry.loader import load_entries
    from wippy.runtime import Runtime
    server, certs = tls_broker
    monkeypatch.chdir(tmp_path)
    ca = json.dumps((certs / "ca.pem").read_text())   # a YAML double-quoted string

    async def start(ca_env):
        write(tmp_path / "src" / "_index.yaml", APP.format(ca=ca, port=server.tls_port,
                                                           ca_env=ca_env))
        async with Runtime(load_entries([tmp_path / "src"])) as rt:
            driver = rt.objects["app:mq"]
            driver.declare("secure", AmqpQueueOptions())
            await driver.publish("secure", new_message("via ca_env"))

    asyncio.run(start("AMQP_CA"))
    with pytest.raises(Exception) as exc:
        asyncio.run(start("NOT_DECLARED"))
    assert "tls.ca_env: NOT_DECLARED is not a declared env.variable" in str(exc.value)
