"""Env storages and the registry: Wippy's lookup, default, read-only and router rules."""
from __future__ import annotations

import os
import stat

import pytest

from wippy.env import (EnvRegistry, FileStorage, MemoryStorage, OSStorage, RouterStorage,
                       StaticStorage, Variable)
from wippy.env.errors import NotFound
from wippy.errors import INVALID, NOT_FOUND, PERMISSION_DENIED, WippyError


def test_file_storage_reads_wippy_dotenv_format(tmp_path):
    path = tmp_path / "app.env"
    path.write_text("# header\n\nA=1\n  B = two words  # note\nC=\"quoted\"\njunk line\n")
    store = FileStorage(path)
    assert store.get("A") == "1"
    assert store.get("B") == "two words"
    assert store.get("C") == '"quoted"'      # quotes have no special meaning
    assert store.list() == {"A": "1", "B": "two words", "C": '"quoted"'}
    with pytest.raises(NotFound):
        store.get("junk line")


def test_file_storage_write_keeps_other_lines_and_mode(tmp_path):
    path = tmp_path / "sub" / "app.env"
    store = FileStorage(path, auto_create=True, file_mode=0o600, dir_mode=0o700)
    store.set("A", "1")
    store.set("B", "2")
    store.set("A", "3")
    assert path.read_text() == "A=3\nB=2\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0
    path.write_text("# keep me\nA=3\nB=2\n")
    store.set("B", "x")
    assert path.read_text() == "# keep me\nA=3\nB=x\n"


def test_file_storage_without_auto_create_refuses_to_write(tmp_path):
    store = FileStorage(tmp_path / "missing.env")
    with pytest.raises(NotFound):
        store.get("A")
    assert store.list() == {}
    with pytest.raises(WippyError, match="auto_create"):
        store.set("A", "1")
    assert not (tmp_path / "missing.env").exists()


def test_os_and_static_storages_are_read_only(monkeypatch):
    monkeypatch.setenv("WIPPY_TEST_OS_VALUE", "from-os")
    os_store, static = OSStorage("app:os"), StaticStorage({"K": 1}, "app:static")
    assert os_store.get("WIPPY_TEST_OS_VALUE") == "from-os"
    assert static.get("K") == "1"
    for store in (os_store, static):
        with pytest.raises(WippyError) as exc:
            store.set("K", "v")
        assert exc.value.kind == PERMISSION_DENIED


def test_router_reads_in_order_caches_and_writes_first():
    first, second = MemoryStorage(), StaticStorage({"A": "static", "B": "b"})
    stores = {"app:mem": first, "app:static": second}
    router = RouterStorage(["app:mem", "app:static"], stores.__getitem__)
    assert router.get("A") == "static"
    first.set("A", "memory")
    assert router.get("A") == "static"          # cached by the router, as in Wippy
    router.set("B", "written")
    assert first.get("B") == "written" and router.get("B") == "written"
    assert router.list() == {"A": "memory", "B": "written"}
    with pytest.raises(NotFound):
        router.get("C")


def _registry(monkeypatch) -> EnvRegistry:
    monkeypatch.setenv("WIPPY_TEST_PORT", "9000")
    monkeypatch.setenv("WIPPY_TEST_EMPTY", "")
    env = EnvRegistry()
    env.add_storage("app:os", OSStorage("app:os"))
    env.add_storage("app:mem", MemoryStorage())
    env.add_variable(Variable("app:port", "app:os", "WIPPY_TEST_PORT"))
    env.add_variable(Variable("app:empty", "app:os", "WIPPY_TEST_EMPTY", default="fallback"))
    env.add_variable(Variable("app:mode", "app:mem", "MODE", default="dev"))
    env.add_variable(Variable("app:locked", "app:mem", "LOCKED", readonly=True))
    env.add_variable(Variable("app:private", "app:mem"))
    env.add_variable(Variable("app:other_port", "app:mem", "WIPPY_TEST_PORT"))
    return env


def test_registry_by_name_by_id_and_defaults(monkeypatch):
    env = _registry(monkeypatch)
    assert env.get("WIPPY_TEST_PORT") == "9000"
    assert env.get("app:port") == "9000"
    assert env.get("WIPPY_TEST_EMPTY") == "fallback"   # empty counts as unset
    assert env.get("MODE") == "dev"
    env.set("MODE", "prod")
    assert env.get("app:mode") == "prod"
    env.set("app:private", "secret")                    # stored under its entry id
    assert env.get("app:private") == "secret"
    # The first variable keeps the public name; the second stays reachable by id.
    assert env.find("WIPPY_TEST_PORT").id == "app:port"
    env.set("app:other_port", "1")
    assert env.get("WIPPY_TEST_PORT") == "9000" and env.get("app:other_port") == "1"


def test_registry_errors_have_wippy_kinds(monkeypatch):
    env = _registry(monkeypatch)
    cases = [(lambda: env.get("NOPE"), NOT_FOUND), (lambda: env.get(""), INVALID),
             (lambda: env.get("LOCKED"), NOT_FOUND),
             (lambda: env.set("LOCKED", "x"), PERMISSION_DENIED),
             (lambda: env.set("app:port", "1"), PERMISSION_DENIED),   # OS storage
             (lambda: env.set("NOPE", "x"), NOT_FOUND)]
    for call, kind in cases:
        with pytest.raises(WippyError) as exc:
            call()
        assert exc.value.kind == kind
        assert exc.value.retryable is False


def test_get_all_lists_declared_variables_only(monkeypatch):
    env = _registry(monkeypatch)
    everything = env.all()
    assert everything == {"WIPPY_TEST_PORT": "9000", "WIPPY_TEST_EMPTY": "fallback",
                          "MODE": "dev"}
    assert "PATH" not in everything and os.environ.get("PATH")
