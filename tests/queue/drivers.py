"""The drivers the contract suite runs against. A new driver adds one DriverCase here."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from wippy.queue import Driver, MemoryDriver, MemoryQueueOptions


@dataclass
class DriverCase:
    name: str
    # A fresh driver; `tmp_path` is for drivers that keep files.
    make: Callable[[Path], Driver]
    # Queue options for a given bound and publish wait, in this driver's own type.
    options: Callable[[int, float], Any]
    # Whether messages survive a driver stop/start (durable drivers).
    durable: bool = False
    # Drivers on a broker (amqp): `make_on(url)` builds one on a fresh vhost, see conftest.py.
    broker: bool = False
    make_on: Callable[[str], Driver] | None = None


MEMORY = DriverCase(
    name="memory",
    make=lambda tmp_path: MemoryDriver("test:memory"),
    options=lambda max_length, publish_timeout: MemoryQueueOptions(max_length, publish_timeout),
)

DRIVER_CASES = [MEMORY]


def _sqlite(tmp_path: Path) -> Driver:
    # A new file per driver: contract tests expect a fresh, empty driver each time.
    from wippy.queue.sqlite import SqliteDriver
    n = len(list(tmp_path.glob("queues-*.db")))
    return SqliteDriver("test:sqlite", str(tmp_path / f"queues-{n}.db"), poll_interval=0.2)


def _sqlite_options(max_length: int, publish_timeout: float) -> Any:
    from wippy.queue.sqlite import SqliteQueueOptions
    return SqliteQueueOptions(max_length, publish_timeout)


SQLITE = DriverCase(name="sqlite", make=_sqlite, options=_sqlite_options, durable=True)

DRIVER_CASES = [MEMORY, SQLITE]


def _sqlite_in_database(tmp_path: Path) -> Driver:
    # `database:` mode: the queue table in an app database, written through its writer.
    from wippy.queue.sqlite import SqliteDriver
    from wippy.sql import Database
    n = len(list(tmp_path.glob("app-*.db")))
    db = Database("test:db", str(tmp_path / f"app-{n}.db"), stop_timeout=2)
    return SqliteDriver("test:sqlite", "", poll_interval=0.2, database=db)


SQLITE_IN_DATABASE = DriverCase(name="sqlite-database", make=_sqlite_in_database,
                                options=_sqlite_options, durable=True)

DRIVER_CASES = [MEMORY, SQLITE, SQLITE_IN_DATABASE]


def _amqp(url: str) -> Driver:
    from wippy.queue.amqp import AmqpDriver
    return AmqpDriver("test:amqp", url)


def _amqp_options(max_length: int, publish_timeout: float) -> Any:
    from wippy.queue.amqp import AmqpQueueOptions
    return AmqpQueueOptions(max_length, publish_timeout)


AMQP = DriverCase(name="amqp", make=lambda tmp_path: None, options=_amqp_options, durable=True,
                  broker=True, make_on=_amqp)

DRIVER_CASES = [MEMORY, SQLITE, SQLITE_IN_DATABASE, AMQP]
