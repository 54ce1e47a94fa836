"""Services that require a run-once service (a migration) start after it finished."""
import asyncio
import logging

import pytest

from wippy.errors import WippyError
from wippy.supervisor import StartupFailed, Supervisor

from .host_helpers import until
from .test_supervisor import Sleeps, Svc, lc, run


class Once(Svc):
    """A process service: start() returns at once, the work happens until `done` is set."""

    run_once = True

    def __init__(self, name, journal, outcome="exit"):
        super().__init__(name, journal)
        self.final = outcome
        self.done = asyncio.Event()

    async def start(self):
        self.journal.append(f"start {self.name}")

    async def wait(self):
        await self.done.wait()
        self.journal.append(f"{self.final} {self.name}")
        if self.final == "crash":
            raise WippyError(f"{self.name}: process exited with code 1")   # as ProcessFailed


def test_dependents_start_after_the_run_once_service_exited_0():
    async def main():
        journal = []
        migrate, web = Once("migrate", journal), Svc("web", journal)
        sup = Supervisor({"migrate": (migrate, lc()), "web": (web, lc())},
                         {"web": ["migrate"]})
        boot = asyncio.create_task(sup.start())
        await until(lambda: sup.status()["migrate"]["state"] == "running")
        for _ in range(20):      # the loop turns; the dependent must keep waiting
            await asyncio.sleep(0)
        assert "start web" not in journal and not boot.done()
        migrate.done.set()
        await boot               # boot ends once the dependent runs
        assert journal == ["start migrate", "exit migrate", "start web"]
        assert sup.status()["migrate"]["state"] == "exited"
        assert sup.status()["web"]["state"] == "running"
        await sup.stop()
    run(main())


def test_a_failing_run_once_service_at_boot_stops_the_boot_and_its_dependents(caplog):
    async def main():
        journal, sleeps = [], Sleeps()
        migrate, web = Once("migrate", journal, outcome="crash"), Svc("web", journal)
        sup = Supervisor({"migrate": (migrate, lc()), "web": (web, lc())},
                         {"web": ["migrate"]}, sleep=sleeps)
        boot = asyncio.create_task(sup.start())
        await until(lambda: sup.status()["migrate"]["state"] == "running")
        migrate.done.set()
        with pytest.raises(StartupFailed) as info:
            await boot
        assert info.value.message == "migrate: process exited with code 1"
        assert "start web" not in journal and sleeps.delays == []   # not retried
        await sup.stop()
        assert "stop web" not in journal
    run(main())
    assert any(r.getMessage() == "service failed before its dependents could start, "
               "not retrying" and r.levelno == logging.ERROR for r in caplog.records)


def test_an_optional_run_once_service_that_fails_is_retried_and_does_not_block():
    async def main():
        journal, sleeps = [], Sleeps()
        migrate, web = Once("migrate", journal, outcome="crash"), Svc("web", journal)
        migrate.done.set()
        sup = Supervisor({"migrate": (migrate, lc(startup="optional", initial_delay=60)),
                          "web": (web, lc())}, {"web": ["migrate"]}, sleep=sleeps,
                         rng=lambda: 0.5)
        await sup.start()
        assert sup.status()["web"]["state"] == "running"
        await until(lambda: sleeps.delays == [60])
        await sup.stop()
    run(main())


def test_a_long_running_process_counts_once_it_was_stable():
    async def main():
        journal = []
        worker, web = Once("worker", journal), Svc("web", journal)
        sup = Supervisor({"worker": (worker, lc(stable_threshold=0.05)), "web": (web, lc())},
                         {"web": ["worker"]})
        await sup.start()        # returns once web runs: after 50 ms of worker running
        assert journal == ["start worker", "start web"]
        assert sup.status()["worker"]["state"] == "running"
        await sup.stop()
    run(main())


def test_without_dependents_a_run_once_service_does_not_hold_the_boot():
    async def main():
        journal = []
        migrate = Once("migrate", journal)
        sup = Supervisor({"migrate": (migrate, lc(stable_threshold=60))})
        await sup.start()
        assert sup.status()["migrate"]["state"] == "running"
        migrate.done.set()
        await until(lambda: sup.status()["migrate"]["state"] == "exited")
        await sup.stop()
    run(main())


class BusyAfterBoot(Svc):
    """Serves, crashes after boot, then its restarts fail as a busy port does
    (a non-retryable WippyError) twice before binding again."""

    def __init__(self, name, journal):
        super().__init__(name, journal, runs=["crash", "fail", "fail", "serve"])
        self.crash = asyncio.Event()

    async def start(self):
        self.outcome = self.runs.pop(0) if len(self.runs) > 1 else self.runs[0]
        self.journal.append(f"start {self.name}")
        if self.outcome == "fail":
            raise WippyError(f"{self.name}: cannot listen on :8080: Address already in use",
                             retryable=False)
        self.stopped = asyncio.Event()

    async def wait(self):
        if self.outcome == "crash":
            await self.crash.wait()
            raise RuntimeError("listener died")
        await self.stopped.wait()


def test_non_retryable_start_failures_after_boot_keep_their_backoff():
    async def main():
        journal, sleeps = [], Sleeps()
        web = BusyAfterBoot("web", journal)
        sup = Supervisor({"web": (web, lc())}, sleep=sleeps, rng=lambda: 0.5)
        await sup.start()                      # boot is over: web is running
        web.crash.set()
        await until(lambda: journal.count("start web") == 4
                    and sup.status()["web"]["state"] == "running")
        assert sleeps.delays == [1, 2, 4]      # backoff, not a fatal stop
        await sup.stop()
    run(main())
