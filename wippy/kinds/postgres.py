"""`db.sql.postgres` (docs/kinds/sql.md): a PostgreSQL connection pool, used from Lua with
sql.get(id) exactly like `db.sql.sqlite`.

    - name: db
      kind: db.sql.postgres
      host: "${env:PG_HOST}"         # ${env:...} placeholders work in any field
      port: 5432
      database: app
      username: app
      password: "${env:PG_PASSWORD}"
      pool: {max_open: 10, max_idle: 2, max_lifetime: 1h}
      options: {sslmode: disable, connect_timeout: "5", application_name: tasks}
      lifecycle: {auto_start: true}

Fields and checks follow Go Wippy's config: host, database, username and password are
required (under trust auth, any password); port > 0; pool values >= 0; max_lifetime > 0.
`options` is a string map; `sslmode`, `connect_timeout` (seconds) and `max_rows` (rows one
query may return, default 100000) are used by the runtime, `sslcert`/`sslkey`/`sslrootcert` go
to the TLS setup, and any other key (e.g. `application_name`) is sent to the server as a
run-time parameter, as lib/pq does.

The deprecated `<field>_env` siblings of Wippy's docs (`host_env`, `port_env`,
`database_env`, `username_env`, `password_env`: the name or entry id of an env.variable)
are honoured as Go does: at build, a variable with a stored value replaces the inline
field; an unknown variable or an empty one keeps the inline value, with a warning (the
variable's `default` is not used, as in Go). A field given only through its `_env`
sibling is not required inline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import logging

from ..env import EnvRegistry
from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..sql.postgres import PostgresDatabase
from .base import BuildContext, Kind
from .env import REGISTRY_KEY as ENV_REGISTRY
from .sql import PoolConfig

SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
# Keys asyncpg reads from a DSN's query string; the others become server_settings.
_DSN_KEYS = ("sslmode", "sslcert", "sslkey", "sslrootcert")


# Fields that may come from an env variable named in a `<field>_env` sibling (Go's DBConfig).
ENV_FIELDS = ("host", "port", "database", "username", "password")


@dataclass
class PostgresConfig:
    # Required unless its `<field>_env` sibling is given (checked in validate()).
    host: str | None = None
    port: int | None = spec(None, min=1, max=65535)
    database: str | None = None
    username: str | None = None
    password: str | None = None
    pool: PoolConfig = spec(default_factory=PoolConfig)
    options: dict[str, Any] = spec(default_factory=dict)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)
    host_env: str = spec("", doc="deprecated: env variable for host")
    port_env: str = spec("", doc="deprecated: env variable for port")
    database_env: str = spec("", doc="deprecated: env variable for database")
    username_env: str = spec("", doc="deprecated: env variable for username")
    password_env: str = spec("", doc="deprecated: env variable for password")


def resolve_env_fields(entry_id: str, cfg: PostgresConfig, env: EnvRegistry | None,
                       log: logging.Logger) -> list[str]:
    """Apply the `<field>_env` siblings to `cfg` in place, as Go's resolveEnv does; the
    problems (a port that is not a number, a field with no value at all) are returned."""
    problems = []
    for field in ENV_FIELDS:
        name = getattr(cfg, f"{field}_env")
        if not name:
            continue
        var, value = env.lookup(name) if env is not None else (None, None)
        if var is None or value is None:
            log.warning("%s: %s_env: %s %s; the inline %s is kept", entry_id, field, name,
                        "is not a declared env.variable" if var is None else "has no value",
                        field)
            continue
        if field == "port":
            if not value.strip().isdigit() or not 1 <= int(value) <= 65535:
                problems.append(f"port_env: the value of {name} ({value!r}) is not a port")
                continue
            cfg.port = int(value)
        else:
            setattr(cfg, field, value)
    for field in ENV_FIELDS:
        if getattr(cfg, field) is None:
            problems.append(f"{field}: {field} is required (no value inline and none from "
                            f"{field}_env {getattr(cfg, f'{field}_env')})")
    return problems


def _option_problems(options: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    mode = options.get("sslmode")
    if mode is not None and str(mode) not in SSLMODES:
        problems.append(("options.sslmode", f"must be one of {', '.join(SSLMODES)}, got {mode!r}"))
    for key, lo in (("connect_timeout", 0), ("max_rows", 1)):
        if key in options:
            try:
                value = float(str(options[key])) if key == "connect_timeout" else int(str(options[key]))
            except ValueError:
                problems.append((f"options.{key}", f"must be a number, got {options[key]!r}"))
                continue
            if value < lo:
                problems.append((f"options.{key}", f"must be at least {lo}, got {value}"))
    return problems


def connect_args(cfg: PostgresConfig) -> dict:
    """asyncpg.connect keywords. Credentials go as keywords, never pasted into a DSN, so a
    password with spaces or quotes works (it breaks Go's lib/pq DSN)."""
    opts = {k: str(v) for k, v in (cfg.options or {}).items()}
    args: dict[str, Any] = {"host": cfg.host, "port": cfg.port, "database": cfg.database,
                            "user": cfg.username, "password": cfg.password}
    dsn_part = {k: opts[k] for k in _DSN_KEYS if k in opts}
    if dsn_part:
        args["dsn"] = "postgresql://?" + urlencode(dsn_part)
    if "connect_timeout" in opts and float(opts["connect_timeout"]) > 0:
        args["timeout"] = float(opts["connect_timeout"])
    settings = {k: v for k, v in opts.items()
                if k not in _DSN_KEYS and k not in ("connect_timeout", "max_rows")}
    if settings:
        args["server_settings"] = settings
    return args


class PostgresKind(Kind):
    name = "db.sql.postgres"
    config = PostgresConfig
    summary = "PostgreSQL connection pool; used from Lua with sql.get(id) ($1 placeholders)."

    def validate(self, entry: Entry, cfg: PostgresConfig) -> list[tuple[str, str]]:
        problems = []
        for field in ENV_FIELDS:
            if getattr(cfg, field) is None and not getattr(cfg, f"{field}_env"):
                problems.append((field, f"{field} is required (inline or through {field}_env)"))
        for field in ("host", "database", "username"):
            value = getattr(cfg, field)
            if value is not None and not str(value).strip():
                problems.append((field, f"{field} is required"))
        if cfg.pool.max_lifetime is not None and cfg.pool.max_lifetime < 0:
            problems.append(("pool.max_lifetime", "max lifetime must be greater than 0"))
        problems.extend(_option_problems(cfg.options or {}))
        return problems

    def build(self, entry: Entry, cfg: PostgresConfig, ctx: BuildContext) -> PostgresDatabase:
        if any(getattr(cfg, f"{field}_env") for field in ENV_FIELDS):
            from dataclasses import replace
            cfg = replace(cfg)        # the plan's decoded config stays as written
            env = ctx.objects.get(ENV_REGISTRY)
            problems = resolve_env_fields(entry.id, cfg, env if isinstance(env, EnvRegistry)
                                          else None, ctx.logger(entry.id))
            if problems:
                raise ValueError("; ".join(problems))
        lifetime = cfg.pool.max_lifetime if cfg.pool.max_lifetime > 0 else 3600.0
        max_rows = int(str((cfg.options or {}).get("max_rows", 100_000)))
        return PostgresDatabase(entry.id, connect_args(cfg), max_open=cfg.pool.max_open,
                                max_idle=cfg.pool.max_idle, max_lifetime=lifetime,
                                max_rows=max_rows, logger=ctx.logger(entry.id))


KINDS: list[Kind] = [PostgresKind()]
