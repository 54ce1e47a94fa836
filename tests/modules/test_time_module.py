"""The `time` module from Lua: Time, Duration, Location, Go layouts, sleep."""
from __future__ import annotations

import asyncio
import time as pytime

import pytest

from tests.lua_helpers import run_lua
from tests.modules.lua import lua, values
from wippy.lua.engine import LuaEngine

T = ["time"]
FIXED = "local t = time.date(2023, 12, 29, 15, 4, 5, 123456789, time.utc)\n"


def test_constants():
    assert values("""return time.NANOSECOND, time.MICROSECOND, time.MILLISECOND, time.SECOND,
        time.MINUTE, time.HOUR, time.RFC3339, time.DATE_TIME, time.KITCHEN, time.DECEMBER,
        time.SUNDAY, time.SATURDAY, tostring(time.utc), tostring(time.localtz)""", modules=T) == [
        1, 1000, 1000000, 1000000000, 60000000000, 3600000000000, "2006-01-02T15:04:05Z07:00",
        "2006-01-02 15:04:05", "3:04PM", 12, 0, 6, "UTC", "Local"]


def test_now_is_current_and_local():
    before = pytime.time()
    sec, nano, loc = values("local t = time.now() return t:unix(), t:unix_nano(), t:location():string()",
                            modules=T)
    assert before - 1 <= sec <= pytime.time() + 1 and nano // 10**9 == sec and loc == "Local"


def test_fields_and_formats():
    got = values(FIXED + """
        local y, mo, d = t:date()
        local h, mi, s = t:clock()
        return y, mo, d, h, mi, s, t:year(), t:month(), t:day(), t:hour(), t:minute(), t:second(),
               t:nanosecond(), t:weekday(), t:year_day(), t:unix(), t:unix_nano(),
               t:format_rfc3339(), t:format(time.RFC3339NANO), t:format("Mon Jan _2 3:04PM 2006"),
               tostring(t), t:is_zero()
    """, modules=T)
    assert got == [2023, 12, 29, 15, 4, 5, 2023, 12, 29, 15, 4, 5, 123456789, 5, 363,
                   1703862245, 1703862245123456789, "2023-12-29T15:04:05Z",
                   "2023-12-29T15:04:05.123456789Z", "Fri Dec 29 3:04PM 2023",
                   "2023-12-29 15:04:05.123456789 +0000 UTC", False]


def test_date_normalizes_overflow_and_zones():
    got = values("""
        local ny = time.load_location("America/New_York")
        local a = time.date(2023, 13, 1, 0, 0, 0, 0, time.utc)
        local b = time.date(2024, 3, 0, 25, 0, 0, 0, time.utc)
        local c = time.date(2024, 7, 4, 12, 0, 0, 0, ny)
        local z = time.date(1, 1, 1, 0, 0, 0, 0, time.utc)
        return a:format(time.DATE_ONLY), b:format(time.DATE_TIME), c:format_rfc3339(),
               c:utc():format_rfc3339(), c:location():string(), z:is_zero(), z:format(time.RFC3339),
               time.date(2024, 1, 1):location():string()
    """, modules=T)
    assert got == ["2024-01-01", "2024-03-01 01:00:00", "2024-07-04T12:00:00-04:00",
                   "2024-07-04T16:00:00Z", "America/New_York", True, "0001-01-01T00:00:00Z", "Local"]


def test_unix_and_locations():
    got = values("""
        local t = time.unix(1703862245, 500000000)
        local ist = time.fixed_zone("IST", 5 * 3600 + 1800)
        local tokyo = time.load_location("Asia/Tokyo")
        return t:utc():format(time.RFC3339NANO), t:in_location(ist):format("15:04 MST -07:00"),
               t:in_location(tokyo):format("2006-01-02 15:04 MST"), t:in_location(ist):equal(t),
               t:in_local():location():string(), time.unix(0, -1):utc():format(time.RFC3339NANO)
    """, modules=T)
    assert got == ["2023-12-29T15:04:05.5Z", "20:34 IST +05:30", "2023-12-30 00:04 JST", True,
                   "Local", "1969-12-31T23:59:59.999999999Z"]


def test_arithmetic_and_comparison():
    got = values(FIXED + """
        local later = t:add("24h")
        local d = later:sub(t)
        local jan31 = time.date(2024, 1, 31, 10, 0, 0, 0, time.utc)
        return later:format(time.DATE_ONLY), t:add(5 * time.MINUTE):format(time.TIME_ONLY),
               t:add(time.parse_duration("-1.5s")):format("15:04:05.000"), tostring(d), d:hours(),
               later:after(t), later:before(t), t:equal(t:add(0)), later > t, t <= t, t == t:utc(),
               jan31:add_date(0, 1, 0):format(time.DATE_ONLY), jan31:add_date(-1, 0, 1):format(time.DATE_ONLY),
               tostring(t:sub(later)), t:add(1.9):nanosecond()
    """, modules=T)
    assert got == ["2023-12-30", "15:09:05", "15:04:03.623", "24h0m0s", 24.0, True, False, True,
                   True, True, True, "2024-03-02", "2023-02-01", "-24h0m0s", 123456790]


def test_sub_saturates():
    got = values("""
        local a, b = time.date(1, 1, 1, 0, 0, 0, 0, time.utc), time.date(3000, 1, 1, 0, 0, 0, 0, time.utc)
        return b:sub(a):nanoseconds() == math.maxinteger, a:sub(b):nanoseconds() == math.mininteger
    """, modules=T)
    assert got == [True, True]


def test_round_and_truncate():
    got = values("""
        local t = time.date(2024, 1, 15, 10, 37, 45, 600000000, time.utc)
        local h, q = time.parse_duration("1h"), time.parse_duration("15m")
        return t:round(h):format(time.TIME_ONLY), t:truncate(h):format(time.TIME_ONLY),
               t:truncate(q):format(time.TIME_ONLY), t:round(time.SECOND):format(time.TIME_ONLY),
               t:round(0):nanosecond(), t:truncate("24h"):format(time.DATE_TIME)
    """, modules=T)
    assert got == ["11:00:00", "10:00:00", "10:30:00", "10:37:46", 600000000, "2024-01-15 00:00:00"]


def test_durations():
    got = values("""
        local d = time.parse_duration("1h30m45s500ms")
        local n = time.parse_duration(1500)
        local same = time.parse_duration(d)
        local neg = time.parse_duration("-1.5us")
        return d:hours(), d:minutes(), d:seconds(), d:milliseconds(), d:microseconds(),
               d:nanoseconds(), tostring(d), tostring(n), tostring(neg), neg:microseconds(),
               tostring(time.parse_duration(0)), tostring(time.parse_duration("1.2ms")),
               same == d, n < d, math.type(d:milliseconds()), math.type(d:seconds())
    """, modules=T)
    assert got == [1.5126388888888889, 90.75833333333334, 5445.5, 5445500, 5445500000,
                   5445500000000, "1h30m45.5s", "1.5µs", "-1.5µs", -1, "0s", "1.2ms", True, True,
                   "integer", "float"]


@pytest.mark.parametrize("arg, message", [
    ("'abc'", 'time: invalid duration "abc"'), ("'5'", 'time: missing unit in duration "5"'),
    ("'1d'", 'time: unknown unit "d" in duration "1d"'), ("{}", "duration, string or integer"),
])
def test_parse_duration_errors(arg, message):
    got = values(f"local d, err = time.parse_duration({arg}) return d, err:kind(), err:message()",
                 modules=T)
    assert got[:2] == [None, "Invalid"] and message in got[2]


@pytest.mark.parametrize("text", ["5s", " 5s", "5s ", "1h30m", "0", "5", ".5s", "1 s", "-1.5us"])
def test_parse_duration_agrees_with_the_config_decoder(text):
    """YAML fields and Lua's time.parse_duration accept and refuse exactly the same strings."""
    from wippy.common.duration import parse_duration as config_duration
    lua_ok = values(f"local d, err = time.parse_duration({text!r}) return err == nil", modules=T)[0]
    try:
        config_duration(text)
        config_ok = True
    except ValueError:
        config_ok = False
    assert lua_ok == config_ok


def test_parse():
    got = values("""
        local a = time.parse(time.RFC3339, "2024-12-29T15:04:05Z")
        local b = time.parse("2006-01-02 15:04:05 -0700", "2024-12-29 10:04:05 -0500")
        local ny = time.load_location("America/New_York")
        local c = time.parse("2006-01-02 15:04", "2024-07-01 09:30", ny)
        local d = time.parse("2006-01-02 15:04:05 MST", "2024-12-29 10:04:05 EST", ny)
        return a:unix(), a:location():string(), b:unix(), b:format("-07:00"), c:format_rfc3339(),
               c:location():string(), d:unix() == a:unix(), d:location():string()
    """, modules=T)
    assert got == [1735484645, "UTC", 1735484645, "-05:00", "2024-07-01T09:30:00-04:00",
                   "America/New_York", True, "America/New_York"]


def test_parse_errors():
    got = values("""
        local t, err = time.parse(time.RFC3339, "invalid")
        local t2, err2 = time.parse("2006-01-02", "2024-02-30")
        return t, err:kind(), err:message(), err2:message()
    """, modules=T)
    assert got == [None, "Invalid",
                   'parsing time "invalid" as "2006-01-02T15:04:05Z07:00": cannot parse "invalid" as "2006"',
                   'parsing time "2024-02-30": day out of range']


def test_load_location_errors():
    got = values("""
        local a, ea = time.load_location("Unknown/Zone")
        local b, eb = time.load_location("")
        local c, ec = time.load_location(5)
        local u = time.load_location("UTC")
        return a, ea:kind(), ea:message(), eb:kind(), ec:kind(), u == time.utc
    """, modules=T)
    assert got == [None, "NotFound", "unknown time zone Unknown/Zone", "Invalid", "Invalid", True]


@pytest.mark.parametrize("call, message", [
    ("time.now().year()", "calling 'year' on bad self (Time expected, got nil)"),
    ("time.date('x', 1, 1)", "bad argument #1 to 'date' (number expected, got string)"),
    ("time.date(2024, 1.5, 1)", "bad argument #2 to 'date' (number has no integer representation)"),
    ("time.date(2024, 1, 1, 0, 0, 0, 0, 'UTC')", "bad argument #8 to 'date' (Location expected, got string)"),
    ("time.now():add('forever')", "bad argument #1 to 'add' (time: invalid duration \"forever\")"),
    ("time.now():sub(5)", "bad argument #1 to 'sub' (Time expected, got number)"),
    ("time.now():format()", "bad argument #1 to 'format' (string expected, got nil)"),
    ("time.parse(1, 'x')", "bad argument #1 to 'parse' (string expected, got number)"),
    ("time.timer('1s').stop()", "needs a Timer or Ticker"),
    ("time.utc.x = 1", "read-only"),
    ("return time.now() < 5", "attempt to compare Time with number"),
    ("return time.parse_duration('1s') <= time.now()", "attempt to compare Duration with Time"),
])
def test_misuse_raises(call, message):
    result = lua(call, modules=T)
    assert result.raised and message in result.error.message, result.error


def test_sleep_accepts_strings_durations_and_nanoseconds():
    start = pytime.monotonic()
    got = values("""
        local r1 = time.sleep("20ms")
        local r2 = time.sleep(time.parse_duration("10ms"))
        local r3 = time.sleep(10 * time.MILLISECOND)
        return r1, r2, r3, time.sleep(1), time.sleep(0), time.sleep(-5)
    """, modules=T)
    assert got == [None] * 6
    assert pytime.monotonic() - start >= 0.04


def test_sleep_rejects_bad_input():
    result = lua('time.sleep("soon")', modules=T)
    assert result.raised and result.error.kind == "Invalid"
    assert 'time: invalid duration "soon"' in result.error.message


def test_sleep_past_the_budget_ends_the_call():
    async def main():
        src = "return {main = function() time.sleep('10s') return 'woke' end}"
        return await run_lua(src, modules=T, budget=0.2)

    start = pytime.monotonic()
    result = asyncio.run(main())
    assert result.raised and result.error.kind == "Timeout"
    assert pytime.monotonic() - start < 2


def test_two_sleeping_calls_overlap_on_one_worker():
    async def main():
        engine = LuaEngine({}, workers=1, max_workers=1)
        await engine.start()
        try:
            src = "return {main = function() time.sleep('200ms') return 1 end}"
            start = pytime.monotonic()
            results = await asyncio.gather(*(run_lua(src, modules=T, engine=engine) for _ in range(2)))
            return pytime.monotonic() - start, results
        finally:
            await engine.close()

    elapsed, results = asyncio.run(main())
    assert [r.values for r in results] == [[1], [1]]
    assert 0.2 <= elapsed < 0.35          # one after the other would take 0.4 s


def test_sleeping_coroutines_inside_one_call_take_turns():
    got = values("""
        local order = {}
        local co = coroutine.wrap(function() time.sleep("30ms") order[#order + 1] = "co" end)
        co()
        order[#order + 1] = "main"
        return table.concat(order, ",")
    """, modules=T)
    assert got == ["co,main"]
