"""Test Wippy apps from Python: the `wippy_app` pytest fixture (docs/development.md).

    def test_create_note(wippy_app):
        r = wippy_app.client.post("/notes", json={"text": "hello world"})
        assert r.status_code == 201
        rows = wippy_app.db("app:db").query("SELECT text FROM notes")
        assert rows == [{"text": "hello world"}]

The plugin is registered with pytest through the package's `pytest11` entry point, so
installing wippy is enough. Each test gets its own copy of the project (sources, lock,
`.wippy.yaml`, vendored modules, an empty `data/`) in a temporary directory, so databases
start empty and nothing touches the real ones. The runtime runs in process on an event
loop of its own thread, as `wippy run` runs it; every `http.service` listens on a free
loopback port. Relative paths (SQLite files) resolve against the process's working
directory, which is why the fixture changes into the copy: one app at a time per process.

Fixtures a project may override in its conftest.py:
  wippy_project    the project directory (default: the `wippy_project` ini option, else
                   pytest's rootdir); it must hold wippy.lock
  wippy_overrides  `-o` overrides, ["app:db:file=:memory:", ...] (default none)
"""
from __future__ import annotations

import asyncio
import inspect
import os
import shutil
import socket
import threading
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

START_TIMEOUT = 30.0   # seconds for the runtime to start (or fail)
CALL_TIMEOUT = 30.0    # seconds for one call made through WippyApp.run


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def copy_project(source: Path, target: Path) -> Path:
    """The parts of a project an app runs from, copied (data directories only made)."""
    from .registry.lockfile import LOCK_NAME, read_lock
    lock = read_lock(source / LOCK_NAME)
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source / LOCK_NAME, target / LOCK_NAME)
    for name in (".wippy.yaml",):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    shutil.copytree(lock.src_path, target / lock.src_dir, dirs_exist_ok=True)
    vendor = lock.modules_path / "vendor"
    if vendor.is_dir():
        shutil.copytree(vendor, target / lock.modules_dir / "vendor", dirs_exist_ok=True)
    if (source / "data").is_dir():
        (target / "data").mkdir(exist_ok=True)
    return target


class OnLoop:
    """A built object (Database, Queue, ...) whose methods run on the app's loop:
    `app.db("app:db").query("SELECT 1")` returns the rows, awaited there."""

    def __init__(self, app: "WippyApp", obj: Any):
        self._app, self._obj = app, obj

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._obj, name)
        if not callable(attr):
            return attr
        return lambda *args, **kwargs: self._app.run(lambda: attr(*args, **kwargs))

    def __repr__(self) -> str:
        return f"OnLoop({self._obj!r})"


class WippyApp:
    """A running app: `url`/`urls`, a ready `client`, and its built objects."""

    def __init__(self, runtime: Any, loop: asyncio.AbstractEventLoop, urls: dict[str, str],
                 project: Path):
        self.runtime, self.loop, self.urls, self.project = runtime, loop, urls, project
        self.url = next(iter(urls.values()), "")
        self.client: Any = None
        if self.url:
            try:
                import httpx   # imported here: the plugin must load without it
            except ImportError:   # pragma: no cover - httpx is in the test extra
                raise RuntimeError("wippy_app's client needs httpx: pip install httpx") from None
            self.client = httpx.Client(base_url=self.url, timeout=10)

    def run(self, fn: Callable[[], Any], timeout: float = CALL_TIMEOUT) -> Any:
        """Run `fn()` on the app's loop (awaiting what it returns) and return the result."""
        async def call() -> Any:
            value = fn()
            return await value if inspect.isawaitable(value) else value
        return asyncio.run_coroutine_threadsafe(call(), self.loop).result(timeout)

    def object(self, entry_id: str) -> Any:
        try:
            return self.runtime.objects[entry_id]
        except KeyError:
            known = ", ".join(sorted(k for k in self.runtime.objects if ":" in k))
            raise KeyError(f"no built entry {entry_id!r}; built: {known}") from None

    def db(self, entry_id: str) -> OnLoop:
        """The database of a db.sql.* entry: .query(sql, params), .execute(sql, params)."""
        return OnLoop(self, self.object(entry_id))

    def queue(self, entry_id: str) -> OnLoop:
        """A queue.queue entry: .publish(body, headers), .info() (ready, in flight, ...)."""
        return OnLoop(self, self.object(entry_id))

    def call(self, function_id: str, *args: Any) -> Any:
        """Call a function.lua entry as funcs.call does; its first value, or raises
        WippyError with the function's error."""
        fdef = self.object(function_id)
        result = self.run(lambda: self.runtime.engine.call(fdef, list(args)))
        if result.error is not None:
            raise result.error
        return result.values[0] if result.values else None

    def status(self) -> dict[str, dict[str, Any]]:
        """Each service's state, as the supervisor reports it."""
        return self.run(self.runtime.status)


def _load(project: Path, overrides: list[str]) -> tuple[list, dict[str, str]]:
    from .registry.lockfile import LOCK_NAME, read_lock
    from .registry.project_config import load_project_config
    from .runtime import load_registry
    config = load_project_config(None, [], [], cwd=project)
    entries = load_registry(read_lock(project / LOCK_NAME), [], config)
    urls, extra = {}, []
    for entry in entries:
        if entry.kind == "http.service":
            port = free_port()
            extra.append(f"{entry.id}:addr=127.0.0.1:{port}")
            urls[entry.id] = f"http://127.0.0.1:{port}"
    # The user's overrides come last, so they win over the free ports.
    return load_registry(read_lock(project / LOCK_NAME), extra + list(overrides), config), urls


@contextmanager
def start_app(project: str | os.PathLike, workdir: str | os.PathLike,
              overrides: list[str] | tuple = ()) -> Iterator[WippyApp]:
    """Copy `project` into `workdir`, start it in this process, stop it on exit."""
    copy = copy_project(Path(project).resolve(), Path(workdir).resolve())
    previous = os.getcwd()
    os.chdir(copy)
    try:
        entries, urls = _load(copy, list(overrides))
        with _running(entries) as (runtime, loop):
            app = WippyApp(runtime, loop, urls, copy)
            try:
                yield app
            finally:
                if app.client is not None:
                    app.client.close()
    finally:
        os.chdir(previous)


@contextmanager
def _running(entries: list) -> Iterator[tuple[Any, asyncio.AbstractEventLoop]]:
    from .runtime import Runtime
    started: Future = Future()
    stop: dict[str, Any] = {}

    async def main() -> None:
        runtime = Runtime(entries)
        stop["event"], stop["loop"] = asyncio.Event(), asyncio.get_running_loop()
        try:
            await runtime.start()
        except BaseException as exc:   # noqa: BLE001 - handed to the test thread
            started.set_exception(exc)
            return
        started.set_result((runtime, asyncio.get_running_loop()))
        try:
            await stop["event"].wait()
        finally:
            await runtime.close()

    thread = threading.Thread(target=asyncio.run, args=(main(),), name="wippy-app", daemon=True)
    thread.start()
    runtime, loop = started.result(START_TIMEOUT)
    try:
        yield runtime, loop
    finally:
        loop.call_soon_threadsafe(stop["event"].set)
        thread.join(START_TIMEOUT)


# ------------------------------------------------------------------ pytest plugin
def pytest_addoption(parser: Any) -> None:
    parser.addini("wippy_project", "the Wippy project the wippy_app fixture starts "
                  "(a directory with wippy.lock, relative to the rootdir)", default="")


@pytest.fixture
def wippy_project(request: Any) -> Path:
    configured = request.config.getini("wippy_project")
    root = Path(str(request.config.rootpath))
    project = (root / configured) if configured else root
    if not (project / "wippy.lock").exists():
        pytest.fail(f"wippy_app: no wippy.lock in {project}; run `wippy init` there, set "
                    "`wippy_project = <dir>` in the pytest ini options, or override the "
                    "wippy_project fixture", pytrace=False)
    return project


@pytest.fixture
def wippy_overrides() -> list[str]:
    return []


@pytest.fixture
def wippy_app(wippy_project: Path, wippy_overrides: list[str], tmp_path: Path) -> Iterator[WippyApp]:
    """The project started in process, from a fresh copy; stopped after the test."""
    with start_app(wippy_project, tmp_path / "app", wippy_overrides) as app:
        yield app
