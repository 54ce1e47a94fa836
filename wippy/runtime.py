"""The runtime: one async context manager owns start and stop.

    entries = load_registry(read_lock("wippy.lock"), overrides)
    async with Runtime(entries) as rt:     # plan -> Lua engine -> build -> supervisor
        await stop_requested.wait()        # signals are the cli package's business
    # services stopped in reverse order, engine closed

If anything fails halfway through start, everything already started is stopped
and the error names the entry: ConfigErrors for the registry and builds,
supervisor.StartupFailed for a required service that cannot start (a corrupt
database, an unwritable data directory).
"""
from __future__ import annotations

import asyncio
import inspect
import logging
from typing import Any

from .registry.config import Lifecycle
from .registry.entry import Entry
from .errors import ConfigError, ConfigErrors, WippyError
from .kinds.base import BuildContext, Kind, Service
from .kinds.env import REGISTRY_KEY as ENV_REGISTRY
from .registry.loader import load_entries
from .registry.lockfile import Lock
from .logs import fields, node_name
from .registry.disable import apply_disable
from .registry.overrides import apply_override_items, apply_overrides
from .registry.project_config import ProjectConfig
from .registry.plan import Plan, prepare
from .supervisor import StartupFailed, Supervisor, describe
from .runtime_apply import LIVE_REGISTRY, live_registry

log = logging.getLogger("wippy.runtime")

DEFAULT_STOP_TIMEOUT = 10.0
INGRESS_KINDS = ("http.service",)
# Errors whose message is the whole story; anything else is a bug worth a traceback (-v).
_PLAIN_ERRORS = (WippyError, OSError, ValueError, LookupError)


def load_registry(lock: Lock | None, overrides: list[str] | tuple = (),
                  project: ProjectConfig | None = None) -> list[Entry]:
    """Entries from the lock's source paths; [] without a lock. Then, lowest to highest:
    the `.wippy.yaml` overrides (profiles included), `-o`; then `disable:` leaves
    entries out (docs/configuration.md)."""
    entries = load_entries(lock.load_paths()) if lock is not None else []
    if project is not None and project.overrides:
        apply_override_items(entries, project.overrides)
    if overrides:
        apply_overrides(entries, list(overrides))
    if project is not None:
        entries = apply_disable(entries, project.disable)
    from .lua.modules.test.library import with_test_library
    return with_test_library(entries)


def default_kinds() -> dict[str, Kind]:
    from .kinds import all_kinds
    return all_kinds()


def default_modules() -> dict[str, Any]:
    from .lua.modules import MODULES
    return MODULES


def make_engine(objects: dict, modules: dict[str, Any], **options: Any) -> Any:
    from .lua.engine import LuaEngine
    return LuaEngine(objects, modules, **options)


def check(entries: list[Entry], kinds: dict[str, Kind] | None = None,
          modules: dict[str, Any] | None = None) -> Plan:
    """`wippy check`: every static check, nothing started. Raises ConfigErrors."""
    kinds = kinds if kinds is not None else default_kinds()
    modules = modules if modules is not None else default_modules()
    engine = make_engine({}, modules)  # never started: only its syntax checker is used
    return prepare(entries, kinds, modules, engine.check_source)


class Runtime:
    """Loaded entries + built objects + the supervisor that runs the services."""

    def __init__(self, entries: list[Entry], *, kinds: dict[str, Kind] | None = None,
                 modules: dict[str, Any] | None = None, settings: dict[str, Any] | None = None,
                 engine_options: dict[str, Any] | None = None,
                 supervisor_options: dict[str, Any] | None = None):
        self.entries = list(entries)
        # An empty registry needs no kinds (`wippy run` without a lock).
        self.kinds = kinds if kinds is not None else (default_kinds() if self.entries else {})
        self.modules = modules if modules is not None else default_modules()
        self.settings = dict(settings or {})
        self.engine_options = dict(engine_options or {})
        self.supervisor_options = dict(supervisor_options or {})
        self.objects: dict[str, Any] = {}
        self.plan: Plan | None = None
        self.engine: Any = None
        self.supervisor: Supervisor | None = None
        self.exit_code = 0               # set by system.exit(code)
        self.request_stop: Any = None    # set by `wippy run`: a graceful stop, as on SIGTERM
        self.built: list[str] = []       # ids in build order
        self.registry: Any = None         # LiveRegistry once started (wippy/registry/live.py)
        self._started = False
        self._closed = False

    async def __aenter__(self) -> "Runtime":
        await self.start()
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def status(self) -> dict[str, dict[str, Any]]:
        return self.supervisor.status() if self.supervisor else {}

    # ------------------------------------------------------------ start
    async def start(self) -> None:
        if self._started:
            raise RuntimeError("Runtime.start() called twice")
        self._started = True
        try:
            await self._start()
        except BaseException as exc:
            # Includes cancellation (a signal during start): undo what was started.
            if isinstance(exc, StartupFailed):
                log.error("start-up failed, stopping what had started",
                          extra=fields(service=exc.service_id, error=exc.message))
            await self.close()
            raise

    async def _start(self) -> None:
        self.engine = make_engine(self.objects, self.modules, **self.engine_options)
        self.plan = prepare(self.entries, self.kinds, self.modules, self.engine.check_source)
        log.info("registry loaded",
                 extra=fields(entries=len(self.plan.entries), node=node_name()))
        for warning in self.plan.warnings:
            log.warning(str(warning))
        await self.engine.start()
        self.objects[ENV_REGISTRY] = self.plan.env   # for env kinds and the Lua env module
        self.objects["@runtime"] = self   # the system module reads the supervisor's states
        # The live registry: the `registry` Lua module and `wippy run --watch` change it.
        self.objects[LIVE_REGISTRY] = self.registry = live_registry(self)
        ctx = BuildContext(objects=self.objects, entries=self.plan.entries, lua=self.engine,
                           loop=asyncio.get_running_loop(), settings=self.settings)
        for eid in self.plan.order:
            await self.build_entry(eid, ctx)
        services = self._services()
        options = {"ingress": self._ingress(services), **self.supervisor_options}
        self.supervisor = Supervisor(services, self.plan.graph.deps, **options)
        await self.supervisor.start()
        log.info("runtime ready", extra=fields(entries=len(self.plan.entries),
                                                services=len(services), node=node_name()))

    async def build_entry(self, eid: str, ctx: BuildContext, plan: Plan | None = None) -> None:
        """Build one entry into `objects`: at start, and for a live registry change
        (runtime_apply.py, which also uses `built` and `release_entry`)."""
        plan = plan or self.plan
        entry, kind, cfg = plan.entries[eid], plan.kinds[eid], plan.configs[eid]
        try:
            obj = kind.build(entry, cfg, ctx)
            if inspect.isawaitable(obj):
                obj = await obj
        except ConfigErrors:
            raise
        except ConfigError as exc:
            exc.origin = exc.origin or entry.origin
            exc.entry_id = exc.entry_id or eid
            raise ConfigErrors([exc]) from exc
        except _PLAIN_ERRORS as exc:
            message = exc.message if isinstance(exc, WippyError) else str(exc) or describe(exc)
            raise ConfigErrors([ConfigError(message, entry.origin, eid)]) from exc
        except Exception as exc:
            log.debug("build failed", exc_info=True, extra=fields(entry=eid))
            raise ConfigErrors([ConfigError(f"build failed: {describe(exc)} (run with -v for "
                                            "the traceback)", entry.origin, eid)]) from exc
        self.built.append(eid)
        if obj is not None:
            self.objects[eid] = obj
        log.debug("entry built", extra=fields(entry=eid, kind=entry.kind))

    def _ingress(self, services: dict[str, Any]) -> set[str]:
        """Services that take work from outside: stopped first, so the listener closes
        while consumers drain."""
        return {sid for sid in services if self.plan.entries[sid].kind in INGRESS_KINDS}

    def _services(self) -> dict[str, tuple[Any, Lifecycle]]:
        """Built objects that are Services and whose config has a lifecycle block."""
        out = {}
        for eid in self.built:
            obj, cfg = self.objects.get(eid), self.plan.configs[eid]
            lifecycle = getattr(cfg, "lifecycle", None)
            if isinstance(obj, Service) and isinstance(lifecycle, Lifecycle):
                out[eid] = (obj, lifecycle)
        return out

    # ------------------------------------------------------------ stop
    async def close(self) -> None:
        """Stop services (reverse order), release unsupervised objects, close the engine.
        Safe to call twice (a failed start has already closed)."""
        if self._closed:
            return
        self._closed = True
        if self.supervisor is not None:
            await self.supervisor.stop()
        handled = {sid for sid, st in self.status().items() if st["state"] != "idle"}
        for eid in reversed(self.built):
            obj = self.objects.get(eid)
            if obj is not None and eid not in handled:
                await self.release_entry(eid, obj)
        self.built.clear()
        if self.engine is not None:
            engine, self.engine = self.engine, None
            try:
                await engine.close()
            except Exception as exc:  # noqa: BLE001 - shutting down: report, go on
                log.error("Lua engine close failed", extra=fields(error=describe(exc)))

    async def release_entry(self, eid: str, obj: Any) -> None:
        """Objects the supervisor never started still hold resources (an open database)."""
        if isinstance(obj, Service):
            closer = obj.stop
        elif callable(getattr(obj, "aclose", None)):
            closer = obj.aclose
        else:
            return
        lifecycle = getattr(self.plan.configs.get(eid) if self.plan else None, "lifecycle", None)
        timeout = getattr(lifecycle, "stop_timeout", None) or DEFAULT_STOP_TIMEOUT
        try:
            await asyncio.wait_for(closer(), timeout)
        except Exception as exc:  # noqa: BLE001 - keep releasing the rest
            log.error("release failed", extra=fields(entry=eid, error=describe(exc)))

