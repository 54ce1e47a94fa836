import asyncio
import logging
import time

import pytest

from wippy.registry.config import Lifecycle, RestartPolicy
from wippy.errors import WippyError
from wippy.supervisor import StartupFailed, Supervisor, backoff_delay

from .host_helpers import until


class Svc:
    """A service scripted per run: each run's outcome is taken from `runs`
    ("serve" until stopped, "exit", "crash", "fail-start", "hang-start")."""

    def __init__(self, name, journal, runs=("serve",), clock=None, run_for=(), stop_hang=False):
        self.name, self.journal, self.runs = name, journal, list(runs)
        self.clock, self.run_for, self.stop_hang = clock, list(run_for), stop_hang
        self.gate: asyncio.Event | None = None    # start() waits for it when set
        self.stopped = asyncio.Event()
        self.outcome = "serve"

    async def start(self):
        self.outcome = self.runs.pop(0) if len(self.runs) > 1 else self.runs[0]
        self.journal.append(f"start {self.name}")
        if self.gate is not None:
            await self.gate.wait()
        if self.outcome == "fail-start":
            raise OSError(f"{self.name}: address already in use")
        if self.outcome == "hang-start":
            await asyncio.Event().wait()
        self.stopped = asyncio.Event()

    async def wait(self):
        if self.clock is not None and self.run_for:
            self.clock.now += self.run_for.pop(0)  # how long this run lasted
        if self.outcome == "exit":
            return
        if self.outcome == "crash":
            raise RuntimeError(f"{self.name} crashed")
        await self.stopped.wait()

    async def stop(self):
        self.journal.append(f"stop {self.name}")
        if self.stop_hang:
            await asyncio.Event().wait()
        self.stopped.set()


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def lc(auto=True, **restart):
    opts = {k: restart.pop(k) for k in list(restart) if k in (
        "start_timeout", "stop_timeout", "stable_threshold", "startup", "requires")}
    return Lifecycle(auto_start=auto, restart=RestartPolicy(**restart), **opts)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, 20))


class Sleeps:
    """Records requested delays instead of waiting."""

    def __init__(self):
        self.delays = []

    async def __call__(self, delay):
        self.delays.append(delay)
        await asyncio.sleep(0)


def test_backoff_formula():
    policy = RestartPolicy(initial_delay=1, max_delay=90, backoff_factor=2, jitter=0.1)
    assert [backoff_delay(policy, n, lambda: 0.5) for n in range(1, 9)] == [
        1, 2, 4, 8, 16, 32, 64, 90]
    assert backoff_delay(policy, 1, lambda: 0.0) == pytest.approx(0.9)
    assert backoff_delay(policy, 3, lambda: 1.0) == pytest.approx(4.4)


def test_start_order_pulls_in_dependencies_and_skips_the_rest():
    async def main():
        journal = []
        svcs = {n: Svc(n, journal) for n in ("db", "driver", "consumer", "web", "spare", "host")}
        sup = Supervisor({
            "db": (svcs["db"], lc(auto=False)),          # pulled in through a non-service
            "driver": (svcs["driver"], lc(auto=False)),  # pulled in through lifecycle.requires
            "consumer": (svcs["consumer"], lc()),
            "web": (svcs["web"], lc()),
            "spare": (svcs["spare"], lc(auto=False)),    # nobody needs it: stays idle
            "host": (svcs["host"], lc(auto=False)),
        }, {"consumer": ["queue", "driver"], "queue": ["db"], "web": []})
        await sup.start()
        assert journal.index("start db") < journal.index("start consumer")
        assert journal.index("start driver") < journal.index("start consumer")
        assert "start spare" not in journal
        status = sup.status()
        assert {k: v["state"] for k, v in status.items()} == {
            "consumer": "running", "db": "running", "driver": "running", "host": "idle",
            "spare": "idle", "web": "running"}
        await sup.stop()
        stops = [e for e in journal if e.startswith("stop")]
        assert stops.index("stop consumer") < min(stops.index("stop db"), stops.index("stop driver"))
        assert "stop spare" not in stops
        assert sup.status()["consumer"]["state"] == "stopped"
    run(main())


def test_independent_services_start_concurrently_and_dependents_wait():
    async def main():
        journal = []
        a, b, c = Svc("a", journal), Svc("b", journal), Svc("c", journal)
        a.gate, b.gate = asyncio.Event(), asyncio.Event()
        sup = Supervisor({"a": (a, lc()), "b": (b, lc()), "c": (c, lc())}, {"c": ["a", "b"]})
        starting = asyncio.create_task(sup.start())
        await until(lambda: journal == ["start a", "start b"])  # both in start() at once
        a.gate.set()
        await asyncio.sleep(0.01)
        assert "start c" not in journal                         # b is not running yet
        b.gate.set()
        await starting
        assert journal[-1] == "start c"
        await sup.stop()
    run(main())


def test_failed_start_retries_with_exponential_backoff(caplog):
    caplog.set_level(logging.INFO, logger="wippy.supervisor")

    async def main():
        journal, sleeps = [], Sleeps()
        svc = Svc("web", journal, runs=["fail-start"] * 5 + ["serve"])
        sup = Supervisor({"web": (svc, lc(max_delay=5))}, sleep=sleeps, rng=lambda: 0.5)
        await sup.start()          # returns after the first outcome; retries go on
        await until(lambda: sup.status()["web"]["state"] == "running")
        assert sleeps.delays == [1, 2, 4, 5, 5]
        # every failed attempt released what it held before the next one
        assert journal.count("stop web") == 5
        status = sup.status()["web"]
        assert status["starts"] == 6 and status["last_error"] is None
        await sup.stop()
    run(main())
    lines = [(r.getMessage(), r.fields) for r in caplog.records if r.name == "wippy.supervisor"]
    assert lines[0] == ("service starting", {"service": "web", "attempt": 1})
    assert lines[1] == ("service failed", {"service": "web", "attempt": 1, "retry_in": "1s",
                                           "error": "OSError: web: address already in use"})
    assert ("services started", {"running": 0, "exited": 0, "failed": 1, "blocked": 0,
                                 "idle": 0}) in lines
    assert ("service running", {"service": "web"}) in lines
    assert lines[-2:] == [("service stopping", {"service": "web"}),
                          ("service stopped", {"service": "web"})]


def test_max_attempts_gives_up_and_blocks_dependents(caplog):
    async def main():
        journal, sleeps = [], Sleeps()
        bad, dep = Svc("bad", journal, runs=["fail-start"]), Svc("dep", journal)
        sup = Supervisor({"bad": (bad, lc(max_attempts=2)), "dep": (dep, lc())},
                         {"dep": ["bad"]}, sleep=sleeps, rng=lambda: 0.5)
        await sup.start()
        await until(lambda: sup.status()["bad"]["retrying"] is False
                    and sup.status()["bad"]["attempts"] == 3)
        assert journal.count("start bad") == 3      # first try + max_attempts restarts
        assert sleeps.delays == [1, 2]
        assert sup.status()["bad"]["state"] == "failed"
        assert sup.status()["dep"]["state"] == "pending"
        assert "start dep" not in journal
        await sup.stop()
        assert sup.status()["dep"]["state"] == "stopped"
    run(main())
    assert any(r.getMessage() == "service failed, giving up" and r.levelno == logging.ERROR
               for r in caplog.records)


def test_exit_is_final_and_crash_restarts():
    async def main():
        journal, sleeps = [], Sleeps()
        once = Svc("migrate", journal, runs=["exit"])
        flaky = Svc("worker", journal, runs=["crash", "crash", "serve"])
        after = Svc("after", journal)
        sup = Supervisor({"migrate": (once, lc()), "worker": (flaky, lc()),
                          "after": (after, lc())}, {"after": ["migrate"]},
                         sleep=sleeps, rng=lambda: 0.5)
        await sup.start()
        await until(lambda: sup.status()["worker"]["state"] == "running"
                    and sup.status()["worker"]["starts"] == 3)
        status = sup.status()
        assert status["migrate"]["state"] == "exited" and journal.count("start migrate") == 1
        assert status["after"]["state"] == "running"   # an exited dependency had run
        assert sleeps.delays == [1, 2]
        await sup.stop()
        assert "stop migrate" in journal               # stop() is called; a no-op for it
    run(main())


def test_backoff_resets_after_a_stable_run():
    async def main():
        journal, sleeps, clock = [], Sleeps(), FakeClock()
        # the third run lasts 10 s, longer than stable_threshold: the count starts again
        svc = Svc("w", journal, runs=["crash", "crash", "crash", "serve"], clock=clock,
                  run_for=[0.5, 0.5, 10.0])
        sup = Supervisor({"w": (svc, lc(stable_threshold=5.0))}, sleep=sleeps,
                         clock=clock, rng=lambda: 0.5)
        await sup.start()
        await until(lambda: sup.status()["w"]["starts"] == 4)
        assert sleeps.delays == [1, 2, 1]
        await sup.stop()
    run(main())


def test_start_timeout_and_stop_timeout_real_time():
    async def main():
        journal = []
        hang = Svc("hang", journal, runs=["hang-start"], stop_hang=True)
        policy = dict(start_timeout=0.05, stop_timeout=0.05, initial_delay=60)
        sup = Supervisor({"hang": (hang, lc(**policy))})
        t0 = time.monotonic()
        await sup.start()
        status = sup.status()["hang"]
        assert status["state"] == "failed" and status["last_error"] == "start timeout (0.05s)"
        await sup.stop()      # cancels the 60 s retry wait
        assert time.monotonic() - t0 < 2
        assert sup.status()["hang"]["state"] == "stopped"
    run(main())


def test_real_backoff_timing_with_tiny_delays():
    async def main():
        journal, stamps = [], []
        svc = Svc("w", journal, runs=["crash"] * 4 + ["serve"])
        original = svc.start

        async def stamped():
            stamps.append(time.monotonic())
            await original()
        svc.start = stamped
        sup = Supervisor({"w": (svc, lc(initial_delay=0.02, backoff_factor=2, jitter=0))})
        await sup.start()
        await until(lambda: len(stamps) == 5 and sup.status()["w"]["state"] == "running")
        gaps = [b - a for a, b in zip(stamps, stamps[1:])]
        for gap, expected in zip(gaps, [0.02, 0.04, 0.08, 0.16]):
            assert expected <= gap < expected + 0.1
        assert gaps == sorted(gaps)
        await sup.stop()
    run(main())


def test_stop_in_reverse_levels_in_parallel_bounded_by_stop_timeout(caplog):
    async def main():
        journal = []
        db = Svc("db", journal)
        web = Svc("web", journal, stop_hang=True)
        api = Svc("api", journal)
        sup = Supervisor({"db": (db, lc()), "web": (web, lc(stop_timeout=0.05)),
                          "api": (api, lc())}, {"web": ["db"], "api": ["db"]})
        await sup.start()
        await sup.stop()
        stops = [e for e in journal if e.startswith("stop")]
        assert set(stops[:2]) == {"stop api", "stop web"} and stops[2] == "stop db"
        assert sup.status()["web"]["last_error"] == "stop timeout (0.05s)"
    run(main())
    assert any(r.getMessage() == "service stop timed out" for r in caplog.records)


def test_optional_dependency_does_not_block():
    async def main():
        journal, sleeps = [], Sleeps()
        opt = Svc("metrics", journal, runs=["fail-start"])
        app = Svc("app", journal)
        sup = Supervisor({"metrics": (opt, lc(startup="optional")), "app": (app, lc())},
                         {"app": ["metrics"]}, sleep=sleeps)
        await sup.start()
        assert sup.status()["app"]["state"] == "running"
        assert sup.status()["metrics"]["state"] in ("failed", "starting")
        await sup.stop()
    run(main())


class Fatal(Svc):
    """start() fails the way a corrupt database does: a non-retryable WippyError."""

    def __init__(self, name, journal, fail_times=99, retryable=False):
        super().__init__(name, journal)
        self.fail_times, self.retryable = fail_times, retryable

    async def start(self):
        self.journal.append(f"start {self.name}")
        if self.fail_times > 0:
            self.fail_times -= 1
            raise WippyError(f"{self.name}: file is not a database", retryable=self.retryable)
        self.stopped = asyncio.Event()


def test_crash_loop_grows_to_the_cap_with_jitter_and_stops_at_max_attempts():
    """A consumer whose wait() raises is restarted like a failed start: x factor per
    failure, capped, jittered within +-jitter, and given up after max_attempts."""
    async def main():
        journal, sleeps = [], Sleeps()
        rolls = iter([0.0, 1.0] * 10)          # jitter at both extremes in turn
        svc = Svc("consumer", journal, runs=["crash"])
        sup = Supervisor({"consumer": (svc, lc(initial_delay=0.1, backoff_factor=3,
                                               max_delay=1.0, jitter=0.2, max_attempts=5))},
                         sleep=sleeps, rng=lambda: next(rolls))
        await sup.start()
        await until(lambda: sup.status()["consumer"]["state"] == "failed"
                    and not sup.status()["consumer"]["retrying"]
                    and sup.status()["consumer"]["attempts"] == 6)
        expected = [0.1 * 0.8, 0.3 * 1.2, 0.9 * 0.8, 1.0 * 1.2, 1.0 * 0.8]
        assert sleeps.delays == pytest.approx(expected)
        assert journal.count("start consumer") == 6
        assert sup.status()["consumer"]["last_error"] == "RuntimeError: consumer crashed"
        await sup.stop()
    run(main())


def test_status_reports_every_service():
    async def main():
        journal = []
        sup = Supervisor({"ok": (Svc("ok", journal), lc()),
                          "flaky": (Svc("flaky", journal, runs=["fail-start", "serve"]),
                                    lc(initial_delay=60)),
                          "spare": (Svc("spare", journal), lc(auto=False))},
                         sleep=lambda d: asyncio.Event().wait(), rng=lambda: 0.5)
        await sup.start()
        status = sup.status()
        assert set(status) == {"ok", "flaky", "spare"}
        assert set(status["ok"]) == {"state", "attempts", "last_error", "since", "retrying",
                                     "retry_in", "starts"}
        assert status["flaky"]["state"] == "failed" and status["flaky"]["retrying"]
        assert status["flaky"]["retry_in"] == 60 and status["flaky"]["attempts"] == 1
        assert status["ok"]["state"] == "running" and status["spare"]["state"] == "idle"
        await sup.stop()
    run(main())


def test_non_retryable_start_failure_at_boot_aborts_start(caplog):
    async def main():
        journal, sleeps = [], Sleeps()
        db, web = Fatal("db", journal), Svc("web", journal)
        sup = Supervisor({"db": (db, lc()), "web": (web, lc())}, sleep=sleeps)
        with pytest.raises(StartupFailed) as info:
            await sup.start()
        assert info.value.message == "db: file is not a database"   # named once
        assert info.value.service_id == "db"
        assert journal.count("start db") == 1 and sleeps.delays == []
        await sup.stop()                                  # the caller stops what started
        assert "stop web" in journal
        assert sup.status()["db"]["state"] == "stopped"
    run(main())
    assert any(r.getMessage() == "service cannot start, not retrying" for r in caplog.records)


def test_retryable_optional_or_later_failures_keep_retrying():
    async def main():
        journal, sleeps = [], Sleeps()
        sup = Supervisor({
            "busy": (Fatal("busy", journal, fail_times=2, retryable=True), lc()),
            "extra": (Fatal("extra", journal, fail_times=2), lc(startup="optional")),
        }, sleep=sleeps, rng=lambda: 0.5)
        await sup.start()                                 # does not raise
        await until(lambda: all(s["state"] == "running" for s in sup.status().values()))
        assert journal.count("start busy") == 3 and journal.count("start extra") == 3
        await sup.stop()
    run(main())


def test_ingress_stops_first_and_the_lowest_level_waits_for_it():
    async def main():
        journal = []
        gate = asyncio.Event()

        class SlowStop(Svc):
            async def stop(self):
                self.journal.append(f"stop {self.name}")
                await gate.wait()          # a consumer draining its in-flight handlers
                self.stopped.set()
        web, db = Svc("web", journal), Svc("db", journal)
        driver, consumer = Svc("driver", journal), SlowStop("consumer", journal)
        sup = Supervisor({"web": (web, lc()), "db": (db, lc()), "driver": (driver, lc()),
                          "consumer": (consumer, lc())}, {"consumer": ["driver"]},
                         ingress={"web"})
        await sup.start()
        stopping = asyncio.create_task(sup.stop())
        await until(lambda: "stop web" in journal and "stop consumer" in journal)
        assert "stop db" not in journal and "stop driver" not in journal
        gate.set()
        await stopping
        stops = [e for e in journal if e.startswith("stop")]
        assert stops.index("stop web") < stops.index("stop db")
        assert stops.index("stop consumer") < stops.index("stop driver")
    run(main())
