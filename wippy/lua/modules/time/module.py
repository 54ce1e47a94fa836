"""The `time` Lua module: Time, Duration and Location objects, Go layouts, sleep.

The objects and their arithmetic live in time.lua; this side answers what Lua
cannot: named-zone offsets (zone.py), layout formatting (format.py) and parsing (parse.py),
Go duration strings (wippy/common/duration.py, shared with the config decoder), and `time.sleep`, an async op that suspends only the
calling coroutine.
"""
from __future__ import annotations

import asyncio
import time as _clock
from importlib import resources

from . import zone as gozone
from ....errors import INVALID, NOT_FOUND, WippyError
from ....common.duration import parse_nanoseconds as parse_duration
from .format import format_time
from .parse import ParseError, parse_time
from ..base import LuaModule


def _zone(name: str | None, offset: int | None, zone: str | None) -> gozone.Zone:
    if offset is not None:
        return gozone.FixedZone(name or "", offset)
    return gozone.load_zone(zone or "Local")


class TimeModule(LuaModule):
    name = "time"
    effects = ()  # pure: re-running it changes nothing
    lua = resources.files(__package__).joinpath("time.lua").read_text()

    def host_functions(self):
        def now(call):
            return divmod(_clock.time_ns(), 1_000_000_000)

        def zone(call, name, sec):
            abbrev, offset = gozone.load_zone(name).lookup(sec)
            return offset, abbrev

        def zone_unix(call, name, wall):
            return gozone.load_zone(name).to_unix(wall)

        def format_(call, layout, sec, nsec, offset, abbrev):
            return format_time(layout, sec, nsec, offset, abbrev)

        def parse(call, layout, value, name, offset, zone_name):
            default = _zone(name, offset, zone_name)
            try:
                sec, nsec, zone_ = parse_time(layout, value, default, default)
            except ParseError as exc:
                raise WippyError(str(exc), INVALID, retryable=False) from None
            if zone_ is default:
                return sec, nsec, "default"
            if zone_ is gozone.UTC:
                return sec, nsec, "utc"
            return sec, nsec, "fixed", zone_.name, zone_.lookup(sec)[1]

        def duration(call, text):
            try:
                return parse_duration(text)
            except ValueError as exc:
                raise WippyError(str(exc), INVALID, retryable=False) from None

        def load_location(call, name):
            try:
                gozone.load_zone(name)
            except LookupError as exc:
                raise WippyError(str(exc), NOT_FOUND, retryable=False) from None
            return True

        def remainder(call, sec, nsec, d):
            return ((sec - gozone.ZERO_TIME_SEC) * 1_000_000_000 + nsec) % d

        return {"now": now, "zone": zone, "zone_unix": zone_unix, "format": format_,
                "parse": parse, "parse_duration": duration, "load_location": load_location,
                "remainder": remainder}

    def async_ops(self):
        async def sleep(call, nanoseconds):
            await asyncio.sleep(nanoseconds / 1e9)
        return {"time.sleep": sleep}
