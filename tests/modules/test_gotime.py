"""Go layouts, durations and zones (wippy.gotime, wippy.gotime_parse, wippy.gozone)."""
from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from wippy.lua.modules.time import zone as gozone
from wippy.common.duration import parse_nanoseconds as parse_duration
from wippy.lua.modules.time.format import RFC3339, format_time
from wippy.lua.modules.time.parse import ParseError, parse_time
from wippy.lua.modules.time.zone import UTC, FixedZone, load_zone

NY = load_zone("America/New_York")
SEC = 1703862245  # 2023-12-29T15:04:05Z, a Friday


def fmt(layout, sec=SEC, nsec=0, zone=UTC):
    abbrev, offset = zone.lookup(sec)
    return format_time(layout, sec, nsec, offset, abbrev)


def test_calendar_matches_python_for_many_days():
    rng = random.Random(7)
    epoch = datetime(1970, 1, 1)
    for _ in range(2000):
        days = rng.randint(-719162, 2932896)   # 0001-01-01 .. 9999-12-31
        d = epoch + timedelta(days=days)
        assert gozone.civil_from_days(days) == (d.year, d.month, d.day)
        assert gozone.days_from_civil(d.year, d.month, d.day) == days
    assert gozone.civil_from_days(gozone.ZERO_TIME_SEC // 86400) == (1, 1, 1)


@pytest.mark.parametrize("layout, expected", [
    (RFC3339, "2023-12-29T15:04:05Z"),
    ("2006-01-02T15:04:05.999999999Z07:00", "2023-12-29T15:04:05.1234Z"),
    ("2006-01-02 15:04:05.000", "2023-12-29 15:04:05.123"),
    ("Mon Jan _2 15:04:05 MST 2006", "Fri Dec 29 15:04:05 UTC 2023"),
    ("Monday, 02-Jan-06 3:04:05 PM", "Friday, 29-Dec-23 3:04:05 PM"),
    ("January 2, 2006 at 3pm", "December 29, 2023 at 3pm"),
    ("002 __2 1/2", "363 363 12/29"), ("15h04m05s,000000", "15h04m05s,123400"),
    ("Kitchen: 3:04PM", "Kitchen: 3:04PM"),  # "K", "i"... are literals
    ("-0700 -07:00 -07 Z0700", "+0000 +00:00 +00 Z"), ("_2006", "_2023"),
])
def test_format_utc(layout, expected):
    assert fmt(layout, nsec=123_400_000) == expected


def test_format_zones():
    assert fmt(RFC3339, zone=NY) == "2023-12-29T10:04:05-05:00"
    assert fmt("MST -0700", zone=NY) == "EST -0500"
    summer = SEC - 180 * 86400
    assert fmt("MST Z07:00", sec=summer, zone=NY) == "EDT -04:00"
    odd = FixedZone("", 5 * 3600 + 30 * 60 + 15)
    assert fmt("MST|-07:00:00|Z070000|-07", zone=odd) == "+0530|+05:30:15|+053015|+05"
    assert fmt("2006-01-02", sec=gozone.ZERO_TIME_SEC) == "0001-01-01"
    assert fmt("2006", sec=gozone.ZERO_TIME_SEC - 400 * 86400) == "-0001"


def test_format_agrees_with_strftime():
    rng = random.Random(3)
    for _ in range(300):
        sec = rng.randint(-2_000_000_000, 4_000_000_000)
        d = datetime.fromtimestamp(sec, timezone.utc)
        assert fmt("2006-01-02 15:04:05 Mon Jan 002", sec=sec) == d.strftime("%Y-%m-%d %H:%M:%S %a %b %j")


def parse(layout, value, default=UTC, local=UTC):
    sec, nsec, zone = parse_time(layout, value, default, local)
    return sec, nsec, zone


def test_parse_basic():
    assert parse(RFC3339, "2023-12-29T15:04:05Z")[:2] == (SEC, 0)
    sec, nsec, zone = parse(RFC3339, "2023-12-29T10:04:05.5-05:00")
    assert (sec, nsec, zone.name) == (SEC, 500_000_000, "")
    assert zone.lookup(sec)[1] == -5 * 3600
    assert parse("2006-01-02", "2023-12-29")[0] == SEC - 15 * 3600 - 4 * 60 - 5
    assert parse("15:04:05", "01:02:03")[0] == gozone.civil_to_local_sec(0, 1, 1, 1, 2, 3)
    assert parse("Jan _2 2006 3:04PM", "dec  9 2023 12:30AM")[0] == parse(RFC3339, "2023-12-09T00:30:00Z")[0]
    assert parse("2006-01-02 15:04:05", "2023-12-29 15:04:05.123456789")[1] == 123456789
    assert parse("2006-01-02 15:04:05.000", "2023-12-29 15:04:05.120")[1] == 120_000_000
    assert parse("2006  01", "2023 01")[0] == parse("2006-01", "2023-01")[0]
    assert parse("2006 002", "2024 060")[0] == parse("2006-01-02", "2024-02-29")[0]


def test_parse_in_location_and_zone_names():
    sec, _, zone = parse("2006-01-02 15:04", "2023-12-29 10:04", default=NY, local=NY)
    assert sec == SEC - 5 and zone is NY
    sec, _, zone = parse("2006-01-02 15:04:05 MST", "2023-12-29 10:04:05 EST", local=NY)
    assert sec == SEC and zone is NY
    sec, _, zone = parse("2006-01-02 15:04:05 MST", "2023-12-29 10:04:05 XYZ")
    assert (sec, zone.name, zone.lookup(0)[1]) == (SEC - 5 * 3600, "XYZ", 0)
    sec, _, zone = parse("2006-01-02 15:04:05 -0700", "2023-12-29 10:04:05 -0500", local=NY)
    assert sec == SEC and zone is NY
    assert parse("2006-01-02 15:04:05 MST", "2023-12-29 15:04:05 UTC", local=NY)[2] is UTC


@pytest.mark.parametrize("layout, value, message", [
    ("2006-01-02", "2023-1-02", 'parsing time "2023-1-02" as "2006-01-02": cannot parse "1-02" as "01"'),
    ("2006-01-02", "x", 'parsing time "x" as "2006-01-02": cannot parse "x" as "2006"'),
    ("2006-01-02", "2023-13-02", 'parsing time "2023-13-02": month out of range'),
    ("2006-01-02", "2023-02-30", 'parsing time "2023-02-30": day out of range'),
    ("2006-01-02", "2023-02-03 junk", 'parsing time "2023-02-03 junk": extra text: " junk"'),
    ("15:04", "25:00", 'parsing time "25:00": hour out of range'),
    (RFC3339, "2023-12-29T15:04:05", 'cannot parse "" as "Z07:00"'),
    ("3PM", "3XM", 'cannot parse "XM" as "PM"'),
])
def test_parse_errors(layout, value, message):
    with pytest.raises(ParseError) as info:
        parse(layout, value)
    assert message in str(info.value)


@pytest.mark.parametrize("text, ns", [
    ("0", 0), ("1ns", 1), ("1.5s", 1_500_000_000), ("1h30m", 5_400_000_000_000),
    ("-1.5h", -5_400_000_000_000), ("+5us", 5000), ("5µs", 5000), ("5μs", 5000),
    (".5ms", 500_000), ("1.000000001s", 1_000_000_001), ("2h45m30.5s", 9_930_500_000_000),
    ("9223372036854775807ns", 9223372036854775807), ("-9223372036854775808ns", -(1 << 63)),
])
def test_parse_duration(text, ns):
    assert parse_duration(text) == ns


@pytest.mark.parametrize("text, message", [
    ("", 'time: invalid duration ""'), ("1", 'time: missing unit in duration "1"'),
    ("1x", 'time: unknown unit "x" in duration "1x"'), (".s", 'time: invalid duration ".s"'),
    ("9223372036854775808ns", "time: invalid duration"), ("3000000h", "time: invalid duration"),
    ("-", 'time: invalid duration "-"'), ("1s2", 'time: missing unit in duration "1s2"'),
])
def test_parse_duration_errors(text, message):
    with pytest.raises(ValueError) as info:
        parse_duration(text)
    assert str(info.value) == message or message in str(info.value)


def test_zones():
    with pytest.raises(LookupError, match="unknown time zone Nowhere/City"):
        load_zone("Nowhere/City")
    with pytest.raises(LookupError):
        load_zone("../../etc/passwd")
    assert load_zone("UTC") is UTC
    # Go's Date: a wall-clock reading in the skipped spring hour still maps to an instant.
    spring = gozone.civil_to_local_sec(2024, 3, 10, 2, 30)
    assert NY.to_unix(spring) - (spring + 4 * 3600) in (0, 3600)
    assert NY.lookup_name("EDT", SEC) == -4 * 3600
    assert NY.lookup_name("PST", SEC) is None
