"""Move a running runtime to a new registry: check it, then rebuild only what changed.

The one code path behind the Lua `registry` module's `changes:apply()` /
`registry.apply_version()` and `wippy run --watch` (docs/modules/registry.md,
docs/development.md):

1. The new entries are checked exactly as `wippy check` does (`prepare`): a registry
   with problems raises ConfigErrors and nothing changes.
2. Changed entries are those created, deleted, or whose kind, meta or data differ;
   every entry that depends on one of them (the reference graph, transitively) is
   rebuilt with it, since it holds objects of the old one.
3. Services among them are stopped through the supervisor (dependents first; an HTTP
   server lets its in-flight requests finish, a consumer its in-flight messages), the
   other old objects are retired (an endpoint leaves its server's route table, a
   process definition leaves `process.spawn`, a database is closed).
4. The new objects are built in dependency order; an HTTP server that kept running
   swaps in a new route table (the listener stays open, requests already running
   finish on the handler they started with); new services are started through the
   supervisor.

If a build fails in step 4, what was built is retired and the old entries are built and
started again, so a refused change leaves the runtime as it was.

Functions are looked up when called (`funcs.call`) or held by what calls them (an
endpoint, a consumer, a process service), which is rebuilt with them: a changed
handler runs from its next call on.
"""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from .errors import ConfigErrors
from .kinds.base import BuildContext, Service
from .kinds.env import PREFIX as ENV_PREFIX, REGISTRY_KEY as ENV_REGISTRY
from .logs import fields
from .registry.config import Lifecycle
from .registry.entry import Entry
from .registry.live import LIVE_REGISTRY, LiveRegistry, same
from .registry.plan import Plan, prepare

if TYPE_CHECKING:  # pragma: no cover
    from .runtime import Runtime

log = logging.getLogger("wippy.registry")

__all__ = ["LIVE_REGISTRY", "Applier", "live_registry"]


def live_registry(runtime: "Runtime") -> LiveRegistry:
    return LiveRegistry(list(runtime.plan.entries.values()), Applier(runtime).transition)


def _closure(start: set[str], dependents: dict[str, list[str]]) -> set[str]:
    out, stack = set(), list(start)
    while stack:
        eid = stack.pop()
        if eid not in out:
            out.add(eid)
            stack.extend(dependents.get(eid, ()))
    return out


class Applier:
    """Steps 1-4 of the module docstring, for one runtime."""

    def __init__(self, runtime: "Runtime"):
        self.rt = runtime
        self._reroute: set[str] = set()     # HTTP servers whose routes changed

    async def transition(self, entries: list[Entry]) -> None:
        rt = self.rt
        if not rt.kinds:   # started with an empty registry: no kinds were loaded
            from .runtime import default_kinds
            rt.kinds = default_kinds()
        old: Plan = rt.plan
        new = prepare(entries, rt.kinds, rt.modules, rt.engine.check_source)
        changed = {eid for eid, e in new.entries.items()
                   if eid not in old.entries or not same(old.entries[eid], e)}
        deleted = set(old.entries) - set(new.entries)
        rebuild = _closure(changed, new.graph.dependents())
        drop = [eid for eid in old.order if eid in rebuild or eid in deleted]
        build = [eid for eid in new.order if eid in rebuild]
        env_changed = any(old.entries.get(eid, new.entries.get(eid)).kind.startswith(ENV_PREFIX)
                          for eid in changed | deleted)
        log.info("applying registry change", extra=fields(
            changed=len(changed), deleted=len(deleted), rebuilt=len(build)))
        await self._swap(old, new, drop, build, env_changed)
        rt.plan, rt.entries = new, list(entries)
        for warning in new.warnings:
            if any(warning.entry_id == eid for eid in changed):
                log.warning(str(warning))

    # ------------------------------------------------------------ steps 3 and 4
    async def _swap(self, old: Plan, new: Plan, drop: list[str], build: list[str],
                    env_changed: bool) -> None:
        sup = self.rt.supervisor
        supervised = [eid for eid in drop if sup is not None and sup.has(eid)]
        if sup is not None:
            await sup.remove(supervised)
        for eid in reversed(drop):
            await self._retire(eid, old, eid in supervised)
        if env_changed:
            self.rt.objects[ENV_REGISTRY] = new.env
        built: list[str] = []
        try:
            for eid in build:
                await self._build(eid, new)
                built.append(eid)
        except ConfigErrors:
            log.error("registry change failed while building; restoring the previous entries",
                      extra=fields(entry=(build[len(built)] if len(built) < len(build) else "")))
            for eid in reversed(built):
                await self._retire(eid, new, False)
            if env_changed:
                self.rt.objects[ENV_REGISTRY] = old.env
            await self._restore(old, drop)
            raise
        await self._start(new, build)

    async def _restore(self, old: Plan, drop: list[str]) -> None:
        try:
            for eid in drop:
                await self._build(eid, old)
        except ConfigErrors as errors:   # the old entries built before: the world changed
            log.critical("could not restore the previous entries", extra=fields(
                error=str(errors)))
        await self._start(old, [eid for eid in drop if eid in self.rt.objects])

    async def _build(self, eid: str, plan: Plan) -> None:
        rt = self.rt
        ctx = BuildContext(objects=rt.objects, entries=plan.entries, lua=rt.engine,
                           loop=asyncio.get_running_loop(), settings=rt.settings)
        await rt.build_entry(eid, ctx, plan)
        self._note_routes(rt.objects.get(eid))

    async def _start(self, plan: Plan, ids: list[str]) -> None:
        """Swap route tables of servers that kept running, then start the new services."""
        for sid in sorted(self._reroute):
            server = self.rt.objects.get(sid)
            if server is not None and callable(getattr(server, "reroute", None)):
                server.reroute()
        self._reroute.clear()
        services: dict[str, tuple[Any, Lifecycle]] = {}
        for eid in ids:
            obj, cfg = self.rt.objects.get(eid), plan.configs.get(eid)
            lifecycle = getattr(cfg, "lifecycle", None)
            if isinstance(obj, Service) and isinstance(lifecycle, Lifecycle):
                services[eid] = (obj, lifecycle)
        if services and self.rt.supervisor is not None:
            await self.rt.supervisor.add(services, plan.graph.deps)

    # ------------------------------------------------------------ retiring old objects
    def _note_routes(self, obj: Any) -> None:
        """An endpoint or router (un)registered: its server needs a new route table."""
        routing = getattr(getattr(obj, "router", None), "routing", None) or getattr(
            obj, "routing", None)
        service_id = getattr(routing, "service_id", None)
        if service_id is not None and not hasattr(obj, "start"):
            self._reroute.add(service_id)

    async def _retire(self, eid: str, plan: Plan, supervised: bool) -> None:
        from .http.assembly import EndpointDef, RouterDef
        from .lua.call import FunctionDef
        from .process.node import NODE_KEY
        rt = self.rt
        obj = rt.objects.pop(eid, None)
        if eid in rt.built:
            rt.built.remove(eid)
        if obj is None:
            return
        if isinstance(obj, EndpointDef):
            obj.router.routing.remove_endpoint(eid)
            self._note_routes(obj)
        elif isinstance(obj, RouterDef):
            obj.routing.remove_router(eid)
            self._note_routes(obj)
        elif isinstance(obj, FunctionDef):
            node = rt.objects.get(NODE_KEY)
            if node is not None and node.defs.get(eid) is obj:
                del node.defs[eid]
        elif not supervised and (isinstance(obj, Service) or callable(getattr(obj, "aclose", None))):
            await rt.release_entry(eid, obj)
        log.debug("entry retired", extra=fields(entry=eid, kind=plan.entries[eid].kind))
