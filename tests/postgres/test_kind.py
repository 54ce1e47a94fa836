"""The db.sql.postgres kind: fields, validation, connect arguments, build + start."""
import pytest

from wippy.kinds import all_kinds
from wippy.kinds.base import BuildContext
from wippy.kinds.postgres import PostgresKind, connect_args
from wippy.registry.config import decode
from wippy.registry.entry import Entry
from wippy.sql.postgres import PostgresDatabase

FULL = {"host": "127.0.0.1", "port": 5432, "database": "app", "username": "u",
        "password": "p w'\"", "pool": {"max_open": 5, "max_idle": 2, "max_lifetime": "30m"},
        "options": {"sslmode": "disable", "connect_timeout": "3", "application_name": "tasks"}}


def problems(data):
    kind = PostgresKind()
    entry = Entry("app", "db", kind.name, data=data)
    cfg, errors = decode(entry, kind.config)
    return cfg, [str(e) for e in errors] + ([f"{f}: {m}" for f, m in kind.validate(entry, cfg)]
                                           if not errors else [])


def test_registered_under_its_wippy_name():
    assert isinstance(all_kinds()["db.sql.postgres"], PostgresKind)


def test_full_entry_decodes_to_keyword_arguments():
    cfg, errs = problems(FULL)
    assert errs == []
    assert (cfg.pool.max_open, cfg.pool.max_idle, cfg.pool.max_lifetime) == (5, 2, 1800.0)
    args = connect_args(cfg)
    assert args["password"] == "p w'\""        # never pasted into a DSN
    assert (args["user"], args["database"], args["port"], args["timeout"]) == ("u", "app", 5432, 3.0)
    assert args["dsn"] == "postgresql://?sslmode=disable"
    assert args["server_settings"] == {"application_name": "tasks"}


@pytest.mark.parametrize("change, expected", [
    ({"host": None}, "host"), ({"password": None}, "password"), ({"port": None}, "port"),
    ({"port": 0}, "port"), ({"username": None}, "username"), ({"database": None}, "database"),
    ({"options": {"sslmode": "maybe"}}, "options.sslmode"),
    ({"options": {"connect_timeout": "soon"}}, "options.connect_timeout"),
    ({"pool": {"max_open": -1}}, "pool.max_open"), ({"file": "x.db"}, "file"),
])
def test_bad_fields_are_named(change, expected):
    data = {k: v for k, v in {**FULL, **change}.items() if v is not None}
    _, errs = problems(data)
    assert errs and any(expected in e for e in errs), errs


@pytest.mark.anyio
async def test_build_and_start_on_the_real_server(postgres_server, pg_database):
    kind = PostgresKind()
    data = {**FULL, "host": postgres_server.host, "port": postgres_server.port,
            "database": pg_database, "username": postgres_server.user}
    entry = Entry("app", "db", kind.name, data=data)
    cfg, errors = decode(entry, kind.config)
    assert not errors and not kind.validate(entry, cfg)
    db = kind.build(entry, cfg, BuildContext(objects={}, entries={}, lua=None))
    assert isinstance(db, PostgresDatabase)
    await db.start()
    try:
        rows = await db.query("SELECT current_setting('application_name') AS a, "
                              "current_database() AS d")
        assert rows == [{"a": "tasks", "d": pg_database}]
        assert db.stats()["max_open_connections"] == 5
    finally:
        await db.stop()
