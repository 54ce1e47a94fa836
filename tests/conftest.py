"""Shared by every test: the async backend. Wait helpers live in tests/polling.py, e2e
process helpers in tests/e2e/conftest.py. Soak tests (`-m slow`) are opt-in: see
pyproject.toml's addopts."""
import os

import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


def missing_server(message: str) -> None:
    """A server package that is not installed: a skip on a developer machine, a failure
    under CI=true (CI must run every test; .ci/run installs the packages)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI=true needs it", pytrace=False)
    pytest.skip(message)


# One private PostgreSQL per test session (tests/postgres_server.py); each test that asks for
# `pg_database` gets a database of its own on it. Skipped when PostgreSQL is not installed
# (.ci/run installs it).
_pg_counter = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def postgres_server():
    import shutil
    import tempfile

    from tests.postgres_server import PostgresServer, bin_dir
    if bin_dir() is None:
        missing_server("PostgreSQL is not installed (apt-get install -y postgresql)")
    # Not under pytest's tmp dir: that is 0700 root's, and the server runs unprivileged.
    directory = tempfile.mkdtemp(prefix="wippy-pg-")
    server = PostgresServer(directory)
    server.init()
    server.start()
    try:
        yield server
    finally:
        server.stop("immediate")
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pg_database(postgres_server):
    """The name of a fresh, empty database on the session's server."""
    name = f"test_{os.getpid()}_{next(_pg_counter)}"
    postgres_server.create_database(name)
    return name


# One private RabbitMQ node per test session (tests/rabbitmq_server.py). Its boot takes 3-6 s and
# each rabbitmqctl call another 1-2 s, so the spare vhosts are made at boot from a definitions
# file and each test that asks for `amqp_url` gets one of them: its queues are its own. Skipped
# when RabbitMQ is not installed (.ci/run installs it).
RABBIT_VHOSTS = 60


@pytest.fixture(scope="session")
def rabbitmq_server():
    import shutil
    import tempfile

    from tests.rabbitmq_server import RabbitServer, installed
    if not installed():
        missing_server("RabbitMQ is not installed (apt-get install -y rabbitmq-server)")
    directory = tempfile.mkdtemp(prefix="wippy-rmq-")
    server = RabbitServer(directory, vhosts=RABBIT_VHOSTS)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def amqp_url(rabbitmq_server):
    """The URL of a vhost of this test's own on the session's broker."""
    try:
        return rabbitmq_server.next_vhost_url()
    except RuntimeError as exc:
        pytest.fail(f"{exc}: raise RABBIT_VHOSTS in tests/conftest.py")
