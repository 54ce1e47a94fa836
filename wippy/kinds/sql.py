"""`db.sql.sqlite` (docs/kinds/sql.md; docs/decisions.md: D7).

    - name: db
      kind: db.sql.sqlite
      file: "./data/tasks.db"        # required; ":memory:" for an in-memory database
      pool: {max_lifetime: 1h}       # connections are reopened after this long
      options: {synchronous: FULL}   # optional runtime settings, see below
      lifecycle: {auto_start: true}

`file` is relative to the process working directory (as in Go Wippy); missing
parent directories are created at start (docs/decisions.md D7). `options` is a string map in
Go Wippy and is accepted as such; the keys below are honoured, others are
logged once and ignored: `synchronous` (NORMAL | FULL | OFF, default NORMAL),
`busy_timeout` (ms, default 5000), `readers` (read connections, default 2),
`max_rows` (rows one query may return, default 100000).
`pool.max_open` / `pool.max_idle` are accepted for compatibility and ignored:
SQLite here always has one writer connection plus the readers.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry.config import Lifecycle, spec
from ..registry.entry import Entry
from ..sql import MEMORY, Database, Settings
from .base import BuildContext, Kind

_SYNC = ("NORMAL", "FULL", "OFF", "EXTRA")
_INT_OPTIONS = {"busy_timeout": (0, 600_000), "readers": (0, 32), "max_rows": (1, 10_000_000)}
KNOWN_OPTIONS = ("synchronous", *_INT_OPTIONS)


@dataclass
class PoolConfig:
    max_open: int = spec(0, min=0)
    max_idle: int = spec(0, min=0)
    # Go Wippy treats 0 as "unset" (default 1h); a negative value is an error.
    max_lifetime: float = spec(3600.0, duration=True)


@dataclass
class SQLiteConfig:
    file: str = spec(required=True)
    pool: PoolConfig = spec(default_factory=PoolConfig)
    options: dict[str, Any] = spec(default_factory=dict)
    lifecycle: Lifecycle = spec(default_factory=Lifecycle)


def _option_problems(options: dict[str, Any]) -> list[tuple[str, str]]:
    problems = []
    sync = options.get("synchronous")
    if sync is not None and str(sync).upper() not in _SYNC:
        problems.append(("options.synchronous", f"must be one of {', '.join(_SYNC)}, got {sync!r}"))
    for key, (lo, hi) in _INT_OPTIONS.items():
        if key in options:
            try:
                value = int(str(options[key]))
            except ValueError:
                problems.append((f"options.{key}", f"must be an integer, got {options[key]!r}"))
                continue
            if not lo <= value <= hi:
                problems.append((f"options.{key}", f"must be between {lo} and {hi}, got {value}"))
    return problems


def settings_from(cfg: SQLiteConfig) -> Settings:
    opts = cfg.options or {}
    lifetime = cfg.pool.max_lifetime if cfg.pool.max_lifetime > 0 else 3600.0
    return Settings(
        synchronous=str(opts.get("synchronous", "NORMAL")).upper(),
        busy_timeout_ms=int(str(opts.get("busy_timeout", 5000))),
        readers=int(str(opts.get("readers", 2))),
        max_rows=int(str(opts.get("max_rows", 100_000))),
        max_lifetime=lifetime,
    )


class SQLiteKind(Kind):
    name = "db.sql.sqlite"
    config = SQLiteConfig
    summary = ("SQLite database (WAL, one group-committing writer, concurrent readers); "
               "used from Lua with sql.get(id).")

    def validate(self, entry: Entry, cfg: SQLiteConfig) -> list[tuple[str, str]]:
        problems = []
        if cfg.file is not None and not str(cfg.file).strip():
            problems.append(("file", "file path is required"))
        if cfg.pool.max_lifetime is not None and cfg.pool.max_lifetime < 0:
            problems.append(("pool.max_lifetime", "max lifetime must be greater than 0"))
        problems.extend(_option_problems(cfg.options or {}))
        return problems

    def build(self, entry: Entry, cfg: SQLiteConfig, ctx: BuildContext) -> Database:
        log = ctx.logger(entry.id)
        unknown = sorted(k for k in (cfg.options or {}) if k not in KNOWN_OPTIONS)
        if unknown:
            log.info("options %s are accepted and ignored (known: %s)",
                     ", ".join(unknown), ", ".join(KNOWN_OPTIONS))
        file = cfg.file if cfg.file == MEMORY else str(cfg.file)
        # Leave the supervisor a margin to log and move on if closing still hangs.
        stop_timeout = max(0.5, cfg.lifecycle.stop_timeout - 0.5)
        return Database(entry.id, file, settings_from(cfg), log, stop_timeout=stop_timeout)


KINDS: list[Kind] = [SQLiteKind()]
