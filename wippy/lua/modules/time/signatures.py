"""LuaLS signatures of the `time` module (docs/modules/time.md); wippy/lua/stubs reads them."""
SIGNATURES = """
alias time.DurationLike = time.Duration|integer|string
now(): time.Time
unix(sec: integer, nsec?: integer): time.Time
date(year: integer, month: integer, day: integer, hour?: integer, min?: integer, sec?: integer, nsec?: integer, loc?: time.Location): time.Time
parse(layout: string, value: string, loc?: time.Location): time.Time?, error?  -- Go layouts (time.RFC3339, ...)
parse_duration(value: time.DurationLike): time.Duration?, error?
sleep(d: time.DurationLike): boolean?, error?
load_location(name: string): time.Location?, error?
fixed_zone(name: string, offset_seconds: integer): time.Location
after(d: time.DurationLike): channel.Channel?, error?  -- a channel that receives one Time after d
timer(d: time.DurationLike): time.Timer?, error?
ticker(d: time.DurationLike): time.Ticker?, error?

class time.Duration
  nanoseconds(): integer
  microseconds(): integer
  milliseconds(): integer
  seconds(): number
  minutes(): number
  hours(): number
  string(): string

class time.Location
  string(): string

class time.Time
  add(d: time.DurationLike): time.Time
  sub(u: time.Time): time.Duration
  add_date(years: integer, months: integer, days: integer): time.Time
  after(u: time.Time): boolean
  before(u: time.Time): boolean
  equal(u: time.Time): boolean
  format(layout: string): string
  format_rfc3339(): string
  unix(): integer
  unix_nano(): integer
  date(): integer, integer, integer
  clock(): integer, integer, integer
  year(): integer
  month(): integer
  day(): integer
  hour(): integer
  minute(): integer
  second(): integer
  nanosecond(): integer
  weekday(): integer
  year_day(): integer
  is_zero(): boolean
  in_location(loc: time.Location): time.Time
  utc(): time.Time
  in_local(): time.Time
  location(): time.Location
  round(d: time.DurationLike): time.Time
  truncate(d: time.DurationLike): time.Time

class time.Timer
  response(): channel.Channel
  channel(): channel.Channel
  stop(): boolean
  reset(d: time.DurationLike): boolean

class time.Ticker
  response(): channel.Channel
  channel(): channel.Channel
  stop(): boolean
  reset(d: time.DurationLike): boolean
"""
