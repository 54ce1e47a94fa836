"""The Lua `test` module (docs/modules/test.md): suites, assertions, hooks and mocks
for `meta.type: test` entries, which `wippy test` runs (wippy/cli/testrun.py).

Everything but reporting is Lua (test.lua). Each finished case is handed to the
runner through `host.report`, into the list the runner put in the call's extras
(EVENTS); outside `wippy test` (a test function called some other way) reports
go nowhere and the totals returned by `run_cases(...)(options)` are the result.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ..base import LuaModule

EVENTS = "test.events"   # Call.extras key: the runner's list of case events


class TestModule(LuaModule):
    __test__ = False   # not a pytest test class, whatever its name
    name = "test"
    effects = ()       # reporting changes nothing outside the call
    lua = resources.files(__package__).joinpath("test.lua").read_text()

    def host_functions(self) -> dict[str, Any]:
        def report(call: Any, event: Any) -> None:
            events = call.extras.get(EVENTS) if call.extras else None
            if events is None:
                return None
            event = call.from_lua(event)
            if isinstance(event, dict) and event.get("type") == "begin":
                events.clear()   # a run that starts again (a re-run call) reports afresh
            else:
                events.append(event)
            return None

        return {"report": report}
