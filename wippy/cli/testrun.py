"""`wippy test`: run the registry's test entries (`meta.type: test`) and report.

As in Wippy (en/framework/testing.md), a test is a `function.lua` entry with
`meta.type: test`; `meta.suite` groups results, `meta.name` names a simple test,
`meta.order` sorts within a suite. The runtime boots as for `wippy run` (databases,
queues, HTTP services), each test entry is called once, then everything stops.

A test either uses the `test` module (`test.run_cases`): its cases are reported one
by one (wippy/lua/modules/test); or it is a simple test: it passes when it returns
anything but `false` without raising.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any

from ..lua.call import FunctionDef
from ..lua.modules.test.module import EVENTS
from ..registry.entry import Entry

DEFAULT_TIMEOUT = 60.0   # seconds per test entry without its own limits.timeout


@dataclass
class Case:
    name: str
    status: str              # passed | failed | skipped
    error: str | None = None
    duration_ms: int = 0


@dataclass
class EntryResult:
    entry: Entry
    suite: str
    cases: list[Case] = field(default_factory=list)


def is_test(entry: Entry) -> bool:
    return entry.kind == "function.lua" and isinstance(entry.meta, dict) \
        and entry.meta.get("type") == "test"


def suite_of(entry: Entry) -> str:
    suite = entry.meta.get("suite")
    return str(suite) if suite not in (None, "") else entry.id


def discover(entries: list[Entry], patterns: list[str] | tuple = ()) -> list[Entry]:
    """Test entries whose id (or suite) contains one of `patterns` (all without patterns),
    in suite order, then `meta.order`, then id."""
    tests = [e for e in entries if is_test(e)]
    if patterns:
        tests = [e for e in tests if any(p in e.id or p in suite_of(e) for p in patterns)]

    def order(e: Entry) -> float:
        value = e.meta.get("order")
        return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0

    return sorted(tests, key=lambda e: (suite_of(e), order(e), e.id))


def _case_name(event: dict, suite: str) -> str:
    path = [p for p in str(event.get("suite") or "").split(" > ") if p]
    if path and path[0] == suite:
        path = path[1:]   # the describe block named like the suite header: said once
    return " > ".join(path + [str(event.get("name", "?"))])


def _error_text(error: Any) -> str:
    if error is None:
        return "failed"
    return getattr(error, "message", None) or str(error)


async def run_entry(runtime: Any, entry: Entry, timeout: float) -> EntryResult:
    """Call one test entry on the running runtime and turn what it did into cases."""
    result = EntryResult(entry, suite_of(entry))
    fdef = runtime.objects.get(entry.id)
    if not isinstance(fdef, FunctionDef):
        result.cases.append(Case(entry.id, "failed", "not a built function entry"))
        return result
    # On a worker thread from the start: a long test on the loop's state would be
    # preempted, and a preempted test that changed something could not be re-run.
    fdef = dataclasses.replace(fdef, inline=False)
    events: list[dict] = []
    started = time.monotonic()
    outcome = await runtime.engine.call(fdef, [{}], budget=fdef.budget or timeout,
                                        extras={EVENTS: events})
    elapsed = int((time.monotonic() - started) * 1000)
    for event in events:
        if isinstance(event, dict) and event.get("type") == "case":
            error = event.get("error")
            if isinstance(error, str):   # "app.test:calc:12: ..." -> "src/calc_test.lua:12: ..."
                error = runtime.engine.where(error)
            result.cases.append(Case(_case_name(event, result.suite), str(event.get("status")),
                                     error, int(event.get("duration_ms") or 0)))
    failed = any(c.status == "failed" for c in result.cases)
    if outcome.error is not None:
        # A BDD test that raises after its failed cases (Wippy's documented
        # `error("tests failed: ...")`) has said everything already.
        if not failed:
            result.cases.append(Case(_simple_name(entry), "failed",
                                     _error_text(outcome.error), elapsed))
    elif not events:
        value = outcome.values[0] if outcome.values else None
        if value is False:
            result.cases.append(Case(_simple_name(entry), "failed", "the test returned false",
                                     elapsed))
        else:
            result.cases.append(Case(_simple_name(entry), "passed", None, elapsed))
    return result


def _simple_name(entry: Entry) -> str:
    name = entry.meta.get("name")
    return str(name) if name not in (None, "") else entry.id


MARK = {"passed": "+", "failed": "-", "skipped": "o"}


def render(results: list[EntryResult], elapsed_ms: int) -> tuple[str, dict[str, int]]:
    """The report, in the shape of Wippy's runner output, and the totals."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    suites: dict[str, list[Case]] = {}
    for r in results:
        suites.setdefault(r.suite, []).extend(r.cases)
        for c in r.cases:
            counts[c.status] = counts.get(c.status, 0) + 1
    total = sum(len(cases) for cases in suites.values())
    lines = [f"{total} tests in {len(suites)} suites", ""]
    for suite, cases in suites.items():
        lines.append(f"  {suite}")
        for c in cases:
            label = c.name + (" (skipped)" if c.status == "skipped" else "")
            duration = "" if c.status == "skipped" else f"{c.duration_ms}ms"
            lines.append(f"    {MARK.get(c.status, '?')} {label:<40} {duration}".rstrip())
            if c.status == "failed":
                for n, line in enumerate(str(c.error or "failed").splitlines() or ["failed"]):
                    lines.append(("      Error: " if n == 0 else "      ") + line)
        lines.append("")
    word = "suite" if len(suites) == 1 else "suites"
    lines.append(f"  {len(suites)} {word} | {counts['passed']} passed | {counts['failed']} failed"
                 f" | {counts['skipped']} skipped | {elapsed_ms}ms")
    return "\n".join(lines), counts


def as_json(results: list[EntryResult], elapsed_ms: int, counts: dict[str, int]) -> dict:
    return {"passed": counts["passed"], "failed": counts["failed"], "skipped": counts["skipped"],
            "duration_ms": elapsed_ms,
            "entries": [{"id": r.entry.id, "suite": r.suite,
                         "cases": [dataclasses.asdict(c) for c in r.cases]} for r in results]}
