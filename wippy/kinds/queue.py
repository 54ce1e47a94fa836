"""`queue.driver.memory`, `queue.driver.sqlite`, `queue.driver.amqp` and `queue.queue` (docs/kinds/queue.md;
docs/decisions.md D2, D5, D12)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..queue import DeadLetter, Driver, MemoryDriver, MemoryQueueOptions, Queue, RetryPolicy
from ..queue.amqp import AmqpDriver, AmqpQueueOptions
from ..queue.amqp_tls import resolve_env, tls_context, tls_problems
from ..queue.sqlite import SqliteDriver, SqliteQueueOptions
from ..queue.sqlite_store import StoreSettings
from ..sql import Database
from .base import BuildContext, Kind
from .env import REGISTRY_KEY as ENV_REGISTRY

CODECS = ("json/plain", "application/msgpack")


@dataclass
class MemoryDriverConfig:
    drain_timeout: float = spec(5.0, duration=True, min=0,
                                doc="on shutdown, consumers work the backlog at most this "
                                    "long before what is left is dropped (and counted)")
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class MemoryDriverKind(Kind):
    name = "queue.driver.memory"
    config = MemoryDriverConfig
    summary = "In-process bounded queues; messages are lost when the process stops."

    def build(self, entry: Entry, cfg: MemoryDriverConfig, ctx: BuildContext) -> MemoryDriver:
        drain = cfg.drain_timeout if cfg is not None else 0.0
        return MemoryDriver(entry.id, ctx.logger(entry.id), drain_timeout=drain)


DEFAULT_QUEUE_FILE = "./data/queues.db"


@dataclass
class SqliteDriverConfig:
    file: str = spec(DEFAULT_QUEUE_FILE, doc="relative to the working directory (the project "
                                             "directory, where wippy.lock is)")
    database: str = spec("", ref="db.sql.sqlite",
                         doc="keep the queues in this database's file, through its writer "
                             "(instead of `file`)")
    lease: float = spec(30.0, duration=True, min=0.05,
                        doc="visibility timeout; extended while a handler still runs")
    poll_interval: float = spec(1.0, duration=True, min=0.01,
                                doc="fallback for other processes' publishes, ended leases "
                                    "and retries")
    max_message_size: int = spec(1 << 20, min=1, doc="bytes of body + headers")
    claim_batch: int = spec(64, min=1, max=1000, doc="rows claimed per statement, at most")
    synchronous: str = spec("NORMAL", choices=("NORMAL", "FULL"),
                            doc="NORMAL: an application crash loses nothing; "
                                "FULL: a power loss loses nothing either")
    busy_timeout: float = spec(5.0, duration=True, min=0,
                               doc="how long to wait for another process's write lock")
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class SqliteDriverKind(Kind):
    name = "queue.driver.sqlite"
    config = SqliteDriverConfig
    summary = "Durable queues in one SQLite file; at-least-once across crashes and restarts."

    def validate(self, entry: Entry, cfg: SqliteDriverConfig) -> list:
        if cfg.database and "file" in entry.data:
            return [("database", "give either `file` (a queue file of its own) or "
                                 "`database` (a db.sql.sqlite entry), not both")]
        if not str(cfg.file).strip():
            return [("file", f"queue file path is empty; leave `file` out for "
                             f"{DEFAULT_QUEUE_FILE} or give a path")]
        return []

    def build(self, entry: Entry, cfg: SqliteDriverConfig, ctx: BuildContext) -> SqliteDriver:
        settings = StoreSettings(cfg.synchronous, int(cfg.busy_timeout * 1000))
        database = None
        if cfg.database:
            database = ctx.get(cfg.database, Database)
        return SqliteDriver(entry.id, str(cfg.file), lease=cfg.lease,
                            poll_interval=cfg.poll_interval,
                            max_message_size=cfg.max_message_size, claim_batch=cfg.claim_batch,
                            settings=settings, log=ctx.logger(entry.id), database=database)


AUTH_MECHANISMS = ("PLAIN", "EXTERNAL", "AMQPLAIN")


@dataclass
class AmqpTls:
    enabled: bool = False
    server_name: str = ""
    cert: str = ""
    key: str = ""
    ca: str = ""
    cert_env: str = ""
    key_env: str = ""
    ca_env: str = ""
    insecure_skip_verify: bool = False


@dataclass
class AmqpDriverConfig:
    """Wippy's `queue.driver.amqp` fields (docs/kinds/queue.md)."""
    url: str = spec("amqp://guest:guest@localhost:5672/")
    vhost: str = spec("", doc="overrides the URL's vhost")
    connection_name: str = spec("", doc="shown in the broker's UI; default: the entry ID")
    auth_mechanism: str = spec("PLAIN", choices=AUTH_MECHANISMS)
    heartbeat: float = spec(0.0, duration=True, min=0, doc="0 = the broker's proposal")
    connection_timeout: float = spec(0.0, duration=True, min=0, doc="dial timeout; 0 = none")
    reconnect_delay: float = spec(1.0, duration=True, min=0)
    reconnect_max_delay: float = spec(30.0, duration=True, min=0)
    default_message_ttl: float = spec(0.0, duration=True, min=0,
                                      doc="per-message expiration on publish")
    default_queue_ttl: float = spec(0.0, duration=True, min=0,
                                    doc="x-message-ttl on declared queues")
    default_queue_expiry: float = spec(0.0, duration=True, min=0,
                                       doc="x-expires on declared queues")
    prefetch_count: int = spec(0, min=0, doc="used when a consumer's prefetch is 0")
    # Accepted for Wippy compatibility; the client negotiates both with the broker.
    frame_size: int = spec(0, min=0, doc="accepted; the client negotiates the frame size")
    channel_max: int = spec(0, min=0, max=65535,
                            doc="accepted; the client negotiates the channel limit")
    tls: AmqpTls = spec(default_factory=AmqpTls)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


class AmqpDriverKind(Kind):
    name = "queue.driver.amqp"
    config = AmqpDriverConfig
    summary = "Queues on a RabbitMQ broker: publisher confirms, durable queues, several nodes."

    def validate(self, entry: Entry, cfg: AmqpDriverConfig) -> list:
        if not str(cfg.url).strip():
            return [("url", "amqp: url is required (e.g. amqp://guest:guest@localhost:5672/)")]
        if not str(cfg.url).startswith(("amqp://", "amqps://")):
            return [("url", f"expected an amqp:// URL, got {cfg.url!r}")]
        if cfg.tls.enabled or str(cfg.url).startswith("amqps://"):
            problems = tls_problems(cfg.tls)
            if problems:
                return problems
        if cfg.auth_mechanism != "PLAIN":
            return [("auth_mechanism", f"{cfg.auth_mechanism} is not supported by this runtime "
                                       f"yet (EXTERNAL, which authenticates by the TLS client "
                                       f"certificate, and AMQPLAIN are not in its client); "
                                       f"use PLAIN")]
        return []

    def build(self, entry: Entry, cfg: AmqpDriverConfig, ctx: BuildContext) -> AmqpDriver:
        import urllib.parse
        parts = urllib.parse.urlsplit(cfg.url)
        path = parts.path
        if cfg.vhost:
            path = "/" + urllib.parse.quote(cfg.vhost, safe="")
        query = dict(urllib.parse.parse_qsl(parts.query))
        query["auth"] = cfg.auth_mechanism.lower()
        if cfg.heartbeat:
            query["heartbeat"] = str(int(cfg.heartbeat))
        tls = cfg.tls.enabled or parts.scheme == "amqps"
        url = urllib.parse.urlunsplit(("amqps" if tls else parts.scheme, parts.netloc,
                                       path or "/", urllib.parse.urlencode(query), ""))
        connect = {"timeout": cfg.connection_timeout} if cfg.connection_timeout else {}
        if tls:
            env = ctx.objects.get(ENV_REGISTRY)     # for the deprecated tls.*_env fields
            connect["ssl_context"] = tls_context(resolve_env(cfg.tls, env))
        return AmqpDriver(entry.id, url, prefetch_count=cfg.prefetch_count,
                          connection_name=cfg.connection_name, connect_options=connect,
                          reconnect_delay=cfg.reconnect_delay,
                          reconnect_max_delay=cfg.reconnect_max_delay,
                          default_message_ttl=cfg.default_message_ttl,
                          default_queue_ttl=cfg.default_queue_ttl,
                          default_queue_expiry=cfg.default_queue_expiry,
                          log=ctx.logger(entry.id))


@dataclass
class DriverOptions:
    """`driver_options`: one sub-bag per driver; each driver reads only its own."""
    memory: MemoryQueueOptions = spec(default_factory=MemoryQueueOptions)
    sqlite: SqliteQueueOptions = spec(default_factory=SqliteQueueOptions)
    amqp: AmqpQueueOptions = spec(default_factory=AmqpQueueOptions)
    # Validated by its driver when the queue is declared.
    sqs: dict[str, Any] = spec(default_factory=dict)


@dataclass
class QueueConfig:
    driver: str = spec("", ref="queue.driver.")
    queue_name: str = spec("", doc="default: the entry name")
    codec: str = spec("json/plain", choices=CODECS)
    driver_options: DriverOptions = spec(default_factory=DriverOptions)
    dead_letter: DeadLetter | None = spec(None)
    retry: RetryPolicy = spec(default_factory=RetryPolicy)
    # Wippy accepts a lifecycle block on queue.queue (its examples write one) and starts
    # nothing for it: a queue is a name on its driver, and the driver is the service.
    lifecycle: Lifecycle = spec(default_factory=Lifecycle,
                                doc="accepted as in Wippy; the driver is the service")


class QueueKind(Kind):
    name = "queue.queue"
    config = QueueConfig
    summary = "A named queue on a driver, with retry backoff and an optional dead-letter queue."

    def validate(self, entry: Entry, cfg: QueueConfig) -> list[tuple[str, str]]:
        problems = []
        if not cfg.driver:
            problems.append(("driver", "driver ID is required"))
        if cfg.dead_letter is not None and cfg.dead_letter.queue == entry.id:
            problems.append(("dead_letter.queue", "a queue cannot dead-letter into itself; "
                            "name another queue.queue entry"))
        amqp = cfg.driver_options.amqp
        if amqp.queue_type == "quorum" and (not amqp.durable or amqp.auto_delete):
            problems.append(("driver_options.amqp.queue_type", "a quorum queue is always "
                             "durable and never auto_delete; drop durable: false / "
                             "auto_delete: true, or use queue_type: classic"))
        return problems

    def build(self, entry: Entry, cfg: QueueConfig, ctx: BuildContext) -> Queue:
        driver = ctx.get(cfg.driver, Driver)
        dead_letter = ctx.get(cfg.dead_letter.queue, Queue) if cfg.dead_letter else None
        name = cfg.queue_name or entry.name
        driver.declare(name, getattr(cfg.driver_options, driver.short_name, None))
        return Queue(entry.id, name, driver, retry=cfg.retry, dead_letter=dead_letter,
                     max_attempts=cfg.dead_letter.max_attempts if cfg.dead_letter else 0,
                     codec=cfg.codec, log=ctx.logger(entry.id))


KINDS: list[Kind] = [MemoryDriverKind(), SqliteDriverKind(), AmqpDriverKind(), QueueKind()]
