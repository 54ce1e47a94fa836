"""Start services in dependency order, restart failures with backoff, stop in reverse.

Rules (docs/kinds/lifecycle.md; docs/decisions.md: D3):

* Roots are services with `lifecycle.auto_start`; their dependencies are pulled in
  even without `auto_start`. A dependency that is not a service (a queue, a
  function) is looked through to the services it depends on.
* A service starts once every dependency is running (an `optional` dependency
  only has to have tried once). Independent services start concurrently.
  A dependency that may run once and finish (`run_once`, a process.service
  such as a migration) counts only once it has exited successfully, or has
  kept running for its `stable_threshold` (then it is a long-running process).
  If it fails before that during boot and it is required, boot fails, like a
  non-retryable start failure below, and its dependents never start.
* `start()` raising or exceeding `start_timeout`, or `wait()` raising = failed:
  restart after initial_delay * factor^(n-1), capped at max_delay, +-jitter;
  `max_attempts` restarts at most (0 = forever); the count resets when the
  service had been running for `stable_threshold`.
* `wait()` returning = exited: done, never restarted.
* Boot is all-or-nothing for required services:
  when the *first* start of a `startup: required` service fails with an error
  that says it is not retryable (a WippyError with retryable=False: corrupt
  database, unwritable data directory, an HTTP port already in use),
  `start()` raises StartupFailed at once and restarts nothing; the caller
  stops what did start. Every other failure (a timeout, a crash after
  running, any failure of an optional service or after boot, whatever its
  retryable flag) is retried by the restart policy.
* Stop: retrying/starting services first, then reverse dependency levels,
  each level in parallel, each service bounded by its `stop_timeout`.
  Ingress services (HTTP servers, named by the runtime) begin stopping at once,
  alongside the first level, so the listener closes while consumers drain;
  the lowest level (databases, drivers) waits for them, since in-flight
  requests may still publish or query.
"""
from __future__ import annotations

import asyncio
import logging
import random
import time
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

from .registry.config import Lifecycle, RestartPolicy
from .common.backoff import backoff
from .errors import WippyError
from .logs import fields

log = logging.getLogger("wippy.supervisor")

IDLE = "idle"          # supervised, but nothing asked for it (not auto_start, nobody depends on it)
PENDING = "pending"    # waiting for dependencies
STARTING = "starting"
RUNNING = "running"
EXITED = "exited"      # finished by itself: never restarted
FAILED = "failed"      # start or run failed; restarting after a delay, or given up
STOPPING = "stopping"
STOPPED = "stopped"


class StartupFailed(WippyError):
    """A required service cannot start and retrying will not help: boot is abandoned."""

    def __init__(self, service_id: str, reason: str):
        # The reason usually names the entry already (`app:db: ...`); never twice.
        text = reason if reason.startswith(f"{service_id}:") else f"{service_id}: {reason}"
        super().__init__(text, retryable=False)
        self.service_id = service_id


def _fatal(exc: BaseException) -> bool:
    """A start error that no retry can fix (the service said so)."""
    return isinstance(exc, WippyError) and exc.retryable is False


def backoff_delay(policy: RestartPolicy, failures: int, rng: Callable[[], float]) -> float:
    """Delay before restart number `failures` (1-based): exponential, capped, jittered."""
    return backoff(policy.initial_delay, policy.backoff_factor, policy.max_delay, policy.jitter,
                   failures, rng)


def describe(exc: BaseException) -> str:
    """One line for a log or status: the message, with the type when it is not ours."""
    if isinstance(exc, WippyError):
        return exc.message
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@dataclass
class _Unit:
    id: str
    service: Any
    lifecycle: Lifecycle
    deps: list[str] = field(default_factory=list)   # service ids this one waits for
    state: str = IDLE
    failures: int = 0            # consecutive; resets after a stable run
    starts: int = 0
    last_error: str | None = None
    since: float = 0.0
    retry_in: float | None = None
    active: bool = False         # start() was called and stop() not yet
    task: asyncio.Task | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)     # dependents may start
    settled: asyncio.Event = field(default_factory=asyncio.Event)   # first attempt decided
    gated: bool = False          # run-once with dependents: ready only when done or stable

    @property
    def optional(self) -> bool:
        return self.lifecycle.startup == "optional"


class Supervisor:
    """Owns the start/stop of every Service; the only place that retries."""

    def __init__(self, services: dict[str, tuple[Any, Lifecycle]],
                 deps: dict[str, list[str]] | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
                 rng: Callable[[], float] = random.random,
                 wall: Callable[[], float] = time.time,
                 ingress: frozenset[str] | set[str] = frozenset()):
        self._clock, self._sleep, self._rng, self._wall = clock, sleep, rng, wall
        deps = deps or {}
        self._units = {sid: _Unit(sid, svc, lc, _service_deps(sid, services, deps))
                       for sid, (svc, lc) in sorted(services.items())}
        now = wall()
        for unit in self._units.values():
            unit.since = now
        self._changed = asyncio.Event()
        self._stopping = False
        self._booting = False
        self._booted = False     # start() has returned without a fatal failure
        self._ingress = set(ingress)
        self._fatal: StartupFailed | None = None

    # ------------------------------------------------------------ status
    def status(self) -> dict[str, dict[str, Any]]:
        """id -> {state, attempts, last_error, since, retrying, retry_in, starts}, for every
        supervised service (documented in docs/operations.md, "Service status")."""
        return {u.id: {"state": u.state, "attempts": u.failures, "last_error": u.last_error,
                       "since": u.since, "retrying": u.retry_in is not None,
                       "retry_in": u.retry_in, "starts": u.starts}
                for u in self._units.values()}

    def readiness(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """(ready, id -> {state, required}) for /ready (docs/operations.md, "Health"): ready
        once start() has returned and every required auto-started service is running, or
        has exited, and every run-once service others depend on has finished."""
        wanted = set(self.wanted())
        view, ready = {}, self._booted
        for u in self._units.values():
            required = u.id in wanted and not u.optional
            view[u.id] = {"state": u.state, "required": required}
            if required and not (u.state == EXITED or (u.state == RUNNING and not u.gated)):
                ready = False
        return ready, view

    def _set(self, unit: _Unit, state: str, message: str | None = None,
             level: int = logging.INFO, **extra: Any) -> None:
        unit.state, unit.since = state, self._wall()
        self._changed.set()
        if message:
            log.log(level, message, extra=fields(service=unit.id, **extra))

    # ------------------------------------------------------------ start
    def wanted(self) -> list[str]:
        """Auto-start services plus everything they need, in id order."""
        out: set[str] = set()
        stack = [u.id for u in self._units.values() if u.lifecycle.auto_start]
        while stack:
            sid = stack.pop()
            if sid not in out:
                out.add(sid)
                stack.extend(self._units[sid].deps)
        return sorted(out)

    async def start(self) -> None:
        """Start every wanted service; return once each has run, exited, failed once or is
        blocked by a failed dependency (retries go on in the background).

        Raises StartupFailed as soon as a required service fails its first start with a
        non-retryable error; the services already started keep running until stop()."""
        wanted = [self._units[sid] for sid in self.wanted()]
        needed = {d for u in wanted for d in u.deps}
        for unit in wanted:
            unit.gated = unit.id in needed and getattr(unit.service, "run_once", False)
        self._booting = True
        for unit in wanted:
            unit.state = PENDING
            unit.task = asyncio.create_task(self._run(unit), name=f"service {unit.id}")
            unit.task.add_done_callback(self._task_done)
        try:
            while not all(self._resolved(u, set()) for u in wanted):
                if self._fatal is not None:
                    break
                self._changed.clear()
                await self._changed.wait()
        finally:
            self._booting = False
        if self._fatal is not None:
            raise self._fatal
        self._booted = True
        counts: dict[str, int] = {}
        for unit in wanted:
            counts[unit.state] = counts.get(unit.state, 0) + 1
        idle = len(self._units) - len(wanted)
        level = logging.WARNING if counts.get(FAILED) or counts.get(PENDING) else logging.INFO
        log.log(level, "services started", extra=fields(
            running=counts.get(RUNNING, 0), exited=counts.get(EXITED, 0),
            failed=counts.get(FAILED, 0), blocked=counts.get(PENDING, 0), idle=idle))

    def _task_done(self, task: asyncio.Task) -> None:
        self._changed.set()
        if not task.cancelled() and task.exception() is not None:
            log.error("supervisor task crashed", exc_info=task.exception(),
                      extra=fields(task=task.get_name()))

    def _resolved(self, unit: _Unit, seen: set[str]) -> bool:
        if unit.settled.is_set() or unit.task is None or unit.task.done():
            return True
        seen.add(unit.id)
        return any(self._blocks(self._units[d], seen) for d in unit.deps if d not in seen)

    def _blocks(self, dep: _Unit, seen: set[str]) -> bool:
        """A dependency that has decided and still holds its dependents back."""
        gate = dep.settled if dep.optional else dep.ready
        return not gate.is_set() and self._resolved(dep, seen)

    async def _run(self, unit: _Unit) -> None:
        waiting = [self._units[d] for d in unit.deps]
        if waiting:
            log.debug("service waiting for dependencies",
                      extra=fields(service=unit.id, deps=[d.id for d in waiting]))
        for dep in waiting:
            await (dep.settled if dep.optional else dep.ready).wait()
        while not self._stopping:
            error, fatal = await self._attempt(unit)
            if error is None:
                return  # running until stopped, or exited
            unit.failures += 1
            unit.last_error = error
            await self._cleanup(unit)
            if fatal and self._booting and not unit.optional and unit.starts == 1:
                unit.retry_in = None
                self._fatal = self._fatal or StartupFailed(unit.id, error)
                self._set(unit, FAILED, "service cannot start, not retrying"
                          if unit.ready.is_set() or not unit.gated else
                          "service failed before its dependents could start, not retrying",
                          logging.ERROR, error=error)
                unit.settled.set()
                return
            policy = unit.lifecycle.restart
            if policy.max_attempts and unit.failures > policy.max_attempts:
                unit.retry_in = None
                self._set(unit, FAILED, "service failed, giving up", logging.ERROR,
                          error=error, restarts=unit.failures - 1)
                unit.settled.set()
                return
            delay = backoff_delay(policy, unit.failures, self._rng)
            unit.retry_in = delay
            self._set(unit, FAILED, "service failed", logging.WARNING, error=error,
                      attempt=unit.failures, retry_in=f"{delay:.3g}s")
            unit.settled.set()
            await self._sleep(delay)
            unit.retry_in = None
            if self._stopping:
                return

    async def _attempt(self, unit: _Unit) -> tuple[str | None, bool]:
        """Start once and, if the service can end, wait for it.
        (None, False) = running or exited; else (error, the start said not retryable)."""
        unit.starts += 1
        self._set(unit, STARTING, "service starting", attempt=unit.failures + 1)
        unit.active = True
        timeout = unit.lifecycle.start_timeout or None
        try:
            await asyncio.wait_for(unit.service.start(), timeout)
        except asyncio.TimeoutError:
            return f"start timeout ({timeout:g}s)", False
        except Exception as exc:  # noqa: BLE001 - retried by policy unless fatal at boot
            log.debug("start failed", exc_info=True, extra=fields(service=unit.id))
            return describe(exc), _fatal(exc)
        started = self._clock()
        unit.last_error = None
        self._set(unit, RUNNING, "service running")
        stable: asyncio.TimerHandle | None = None
        if unit.gated and not unit.ready.is_set():
            # Dependents wait until it finished, or proved to be a long-running process.
            stable = asyncio.get_running_loop().call_later(
                unit.lifecycle.stable_threshold, self._open, unit)
        else:
            self._open(unit)
        wait = getattr(unit.service, "wait", None)
        if wait is None:
            return None, False
        try:
            await wait()
        except Exception as exc:  # noqa: BLE001 - a crash is a failure to restart
            if self._clock() - started >= unit.lifecycle.stable_threshold:
                unit.failures = 0  # it was stable: start the backoff from the beginning
            log.debug("service crashed", exc_info=True, extra=fields(service=unit.id))
            # Failing before its dependents could start is, at boot, a failed start.
            return describe(exc), not unit.ready.is_set()
        finally:
            if stable is not None:
                stable.cancel()
        self._set(unit, EXITED, "service exited")
        self._open(unit)
        return None, False

    def _open(self, unit: _Unit) -> None:
        """Let dependents start."""
        unit.ready.set()
        unit.settled.set()
        self._changed.set()

    async def _cleanup(self, unit: _Unit) -> None:
        """Release what a failed attempt may hold before the next one."""
        if not unit.active:
            return
        unit.active = False
        try:
            await asyncio.wait_for(unit.service.stop(), unit.lifecycle.stop_timeout or None)
        except Exception as exc:  # noqa: BLE001 - best effort after a failure
            log.debug("stop after failure failed", extra=fields(service=unit.id,
                                                                error=describe(exc)))

    # ------------------------------------------------------------ live changes
    def has(self, sid: str) -> bool:
        return sid in self._units

    async def remove(self, ids: list[str]) -> None:
        """Stop these services (dependents first) and forget them: a registry change
        replaces or deletes them (wippy/runtime_apply.py)."""
        units = [self._units[sid] for sid in ids if sid in self._units]
        for level in reversed(_levels(units, self._units)):
            await asyncio.gather(*(self._stop_unit(u) for u in level))
        for unit in units:
            del self._units[unit.id]

    async def add(self, services: dict[str, tuple[Any, Lifecycle]],
                  deps: dict[str, list[str]]) -> None:
        """Supervise new services, then start every wanted service not started yet (the new
        ones and any they pull in); return once each has run, failed once or is blocked.
        Failures are retried by the restart policy, never fatal here."""
        known = {**{sid: (u.service, u.lifecycle) for sid, u in self._units.items()},
                 **services}
        now = self._wall()
        for sid, (svc, lc) in sorted(services.items()):
            self._units[sid] = _Unit(sid, svc, lc, _service_deps(sid, known, deps), since=now)
        fresh = [self._units[sid] for sid in self.wanted() if self._units[sid].task is None]
        for unit in fresh:
            unit.state = PENDING
            unit.task = asyncio.create_task(self._run(unit), name=f"service {unit.id}")
            unit.task.add_done_callback(self._task_done)
        while not all(self._resolved(u, set()) for u in fresh):
            self._changed.clear()
            await self._changed.wait()

    # ------------------------------------------------------------ stop
    async def stop(self) -> None:
        """Stop everything that was started: retrying ones first, then by reverse level."""
        self._stopping = True
        started = [u for u in self._units.values() if u.state != IDLE]
        unsettled = [u for u in started if u.state not in (RUNNING, EXITED)]
        # Close the doors first: new requests are refused while the rest drains.
        front = [u for u in started if u.id in self._ingress and u not in unsettled]
        front_tasks = [asyncio.create_task(self._stop_unit(u)) for u in front]
        front_needs = {d for u in front for d in u.deps}
        await asyncio.gather(*(self._stop_unit(u) for u in unsettled))
        rest = [u for u in started if u not in unsettled and u not in front]
        levels = list(reversed(_levels(rest, self._units)))
        for i, level in enumerate(levels):
            if front_tasks and (i == len(levels) - 1 or front_needs & {u.id for u in level}):
                await asyncio.gather(*front_tasks)
                front_tasks = []
            await asyncio.gather(*(self._stop_unit(u) for u in level))
        await asyncio.gather(*front_tasks)

    async def _stop_unit(self, unit: _Unit) -> None:
        # asyncio.wait_for (3.11) can swallow a cancel that races with completion: insist.
        while unit.task is not None and not unit.task.done():
            unit.task.cancel()
            await asyncio.wait([unit.task], timeout=0.1)
        unit.retry_in = None
        if not unit.active:
            if unit.state != STOPPED:
                self._set(unit, STOPPED, "service stopped" if unit.state != PENDING else None)
            return
        quiet = unit.state == EXITED  # finished long ago: stop() only releases leftovers
        self._set(unit, STOPPING, None if quiet else "service stopping")
        timeout = unit.lifecycle.stop_timeout or None
        unit.active = False
        try:
            await asyncio.wait_for(unit.service.stop(), timeout)
        except asyncio.TimeoutError:
            unit.last_error = f"stop timeout ({timeout:g}s)"
            self._set(unit, STOPPED, "service stop timed out", logging.ERROR, timeout=f"{timeout:g}s")
            return
        except Exception as exc:  # noqa: BLE001 - report and keep stopping the rest
            unit.last_error = describe(exc)
            self._set(unit, STOPPED, "service stop failed", logging.ERROR, error=unit.last_error)
            return
        self._set(unit, STOPPED, None if quiet else "service stopped")


def _service_deps(sid: str, services: dict[str, Any], deps: dict[str, list[str]]) -> list[str]:
    """Services `sid` depends on, looking through non-service entries transitively."""
    out: list[str] = []
    seen = {sid}
    stack = list(reversed(deps.get(sid, [])))
    while stack:
        dep = stack.pop()
        if dep in seen:
            continue
        seen.add(dep)
        if dep in services:
            out.append(dep)
        else:
            stack.extend(reversed(deps.get(dep, [])))
    return sorted(out)


def _levels(units: list[_Unit], all_units: dict[str, _Unit]) -> list[list[_Unit]]:
    """Dependency levels among `units`: level 0 needs nothing, level n needs level < n."""
    level: dict[str, int] = {}

    def depth(unit: _Unit, trail: frozenset = frozenset()) -> int:
        if unit.id not in level:
            below = [depth(all_units[d], trail | {unit.id}) for d in unit.deps
                     if d not in trail]
            level[unit.id] = 1 + max(below, default=-1)
        return level[unit.id]

    out: dict[int, list[_Unit]] = {}
    for unit in units:
        out.setdefault(depth(unit), []).append(unit)
    return [out[k] for k in sorted(out)]
