"""The db.sql.sqlite kind: config decoding, validation, build."""
import logging

import pytest

from wippy.registry.config import decode
from wippy.registry.entry import Entry
from wippy.kinds.base import BuildContext
from wippy.kinds.sql import KINDS, SQLiteKind
from wippy.sql import Database

pytestmark = pytest.mark.anyio


def problems(data):
    kind = SQLiteKind()
    entry = Entry("app", "db", kind.name, data=data)
    cfg, errors = decode(entry, kind.config)
    return cfg, [str(e) for e in errors] + ([f"{f}: {m}" for f, m in kind.validate(entry, cfg)]
                                           if not errors else [])


def build(data, tmp_path=None):
    kind = SQLiteKind()
    entry = Entry("app", "db", kind.name, data=data)
    cfg, errors = decode(entry, kind.config)
    assert not errors and not kind.validate(entry, cfg)
    return kind.build(entry, cfg, BuildContext(objects={}, entries={}, lua=None))


def test_kind_table():
    assert [k.name for k in KINDS] == ["db.sql.sqlite"]


def test_tutorial_entry_decodes():
    cfg, errs = problems({"file": "./data/tasks.db", "lifecycle": {"auto_start": True}})
    assert errs == []
    assert cfg.file == "./data/tasks.db" and cfg.lifecycle.auto_start is True
    assert cfg.pool.max_lifetime == 3600.0


@pytest.mark.parametrize("data, fragment", [
    ({}, "file is required"),
    ({"file": ""}, "is required"),
    ({"file": "x.db", "pool": {"max_lifetime": "-1s"}}, "max lifetime must be greater than 0"),
    ({"file": "x.db", "pool": {"max_lifetime": "soon"}}, "invalid duration"),
    ({"file": "x.db", "fiel": "y"}, "unknown field"),
    ({"file": "x.db", "options": {"synchronous": "SOMETIMES"}}, "options.synchronous"),
    ({"file": "x.db", "options": {"readers": "many"}}, "options.readers: must be an integer"),
    ({"file": "x.db", "options": {"busy_timeout": -5}}, "options.busy_timeout: must be between"),
])
def test_invalid_config(data, fragment):
    _, errs = problems(data)
    assert any(fragment in e for e in errs), errs


def test_build_applies_options(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="wippy.app:db")
    db = build({"file": str(tmp_path / "x.db"), "pool": {"max_lifetime": "10m", "max_open": 4},
                "options": {"synchronous": "full", "busy_timeout": "250", "readers": 3,
                            "_loc": "auto"},
                "lifecycle": {"stop_timeout": "3s"}})
    assert isinstance(db, Database)
    s = db.settings
    assert (s.synchronous, s.busy_timeout_ms, s.readers, s.max_lifetime) == ("FULL", 250, 3, 600.0)
    assert db.stop_timeout == 2.5
    assert db.state == "new"   # no I/O at build time
    assert any("_loc" in r.getMessage() for r in caplog.records)


def test_zero_max_lifetime_means_default(tmp_path):
    db = build({"file": str(tmp_path / "x.db"), "pool": {"max_lifetime": "0s"}})
    assert db.settings.max_lifetime == 3600.0


async def test_built_database_honours_synchronous(tmp_path):
    db = build({"file": str(tmp_path / "x.db"), "options": {"synchronous": "FULL"}})
    try:
        assert await db.query("PRAGMA synchronous") == [{"synchronous": 2}]
        assert await db.query("PRAGMA foreign_keys") == [{"foreign_keys": 1}]
        assert await db.query("PRAGMA busy_timeout") == [{"timeout": 5000}]
    finally:
        await db.stop()
