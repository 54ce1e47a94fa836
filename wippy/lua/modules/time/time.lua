-- The `time` module: Time, Duration and Location objects with Go's semantics.
-- Arithmetic, comparison and calendar fields are computed here; zone offsets of named
-- zones, layout formatting/parsing and duration strings are done by the host (Python).
return function(host, lib)
    local type, error, tostring, setmetatable, next = type, error, tostring, setmetatable, next
    local mtype, tointeger, mininteger = math.type, math.tointeger, math.mininteger
    local floor, ceil, format = math.floor, math.ceil, string.format

    local US, MS, S = 1000, 1000000, 1000000000
    local MIN, HOUR = 60 * S, 3600 * S
    local ZERO_SEC = -62135596800            -- 0001-01-01T00:00:00Z, Go's zero Time
    local RFC3339 = "2006-01-02T15:04:05Z07:00"
    local STRING_FORMAT = "2006-01-02 15:04:05.999999999 -0700 MST"

    local M = {
        NANOSECOND = 1, MICROSECOND = US, MILLISECOND = MS, SECOND = S, MINUTE = MIN, HOUR = HOUR,
        RFC3339 = RFC3339, RFC3339NANO = "2006-01-02T15:04:05.999999999Z07:00",
        RFC822 = "02 Jan 06 15:04 MST", RFC822Z = "02 Jan 06 15:04 -0700",
        RFC850 = "Monday, 02-Jan-06 15:04:05 MST", RFC1123 = "Mon, 02 Jan 2006 15:04:05 MST",
        RFC1123Z = "Mon, 02 Jan 2006 15:04:05 -0700", KITCHEN = "3:04PM",
        STAMP = "Jan _2 15:04:05", STAMP_MILLI = "Jan _2 15:04:05.000",
        STAMP_MICRO = "Jan _2 15:04:05.000000", STAMP_NANO = "Jan _2 15:04:05.000000000",
        DATE_TIME = "2006-01-02 15:04:05", DATE_ONLY = "2006-01-02", TIME_ONLY = "15:04:05",
        JANUARY = 1, FEBRUARY = 2, MARCH = 3, APRIL = 4, MAY = 5, JUNE = 6, JULY = 7,
        AUGUST = 8, SEPTEMBER = 9, OCTOBER = 10, NOVEMBER = 11, DECEMBER = 12,
        SUNDAY = 0, MONDAY = 1, TUESDAY = 2, WEDNESDAY = 3, THURSDAY = 4, FRIDAY = 5, SATURDAY = 6,
    }

    -- An object is an empty read-only table; its state lives on its own protected
    -- metatable (handlers get false from `getmetatable` and have no `debug`), not in
    -- weak-keyed side tables: weak keys are ephemerons, re-walked in every collection's
    -- atomic phase, and a process makes a Time per tick (bench/README.md). A metatable
    -- is a Time's only if its __index is time_methods, which handlers never reach.
    -- A Time's and a Duration's state is in the array part (constant indexes): the
    -- hash part then holds only the metamethods, half the memory of named fields.
    --   Time:     [SEC] unix seconds, [NSEC] 0..1e9-1, [ZONE] Location,
    --             [CAL] calendar fields once asked for (false until then)
    --   Duration: [DNS] nanoseconds
    --   Location: name, offset = fixed or nil, zone = host zone or nil
    local SEC <const>, NSEC <const>, ZONE <const>, CAL <const>, DNS <const> = 1, 2, 3, 4, 1
    local time_methods, dur_methods, loc_methods = {}, {}, {}
    local getmt, rawget = debug.getmetatable, rawget
    local function state(v, methods)   -- v's state, or nil when v is not of this kind
        local mt = getmt(v)
        if mt ~= nil and rawget(mt, "__index") == methods then return mt end
    end
    local function TIME(v) return state(v, time_methods) end
    local function DUR(v) return state(v, dur_methods) end
    local function LOC(v) return state(v, loc_methods) end

    local function readonly() error("attempt to modify a read-only object", 2) end

    local function typename(v)
        if TIME(v) then return "Time" elseif DUR(v) then return "Duration"
        elseif LOC(v) then return "Location" end
        return type(v)
    end

    local function arg_error(n, fname, msg) error(format("bad argument #%d to '%s' (%s)", n, fname, msg), 3) end

    local function int_arg(v, n, fname, default)
        if v == nil and default ~= nil then return default end
        local i = tointeger(v)
        if i ~= nil then return i end
        if type(v) == "number" then arg_error(n, fname, "number has no integer representation") end
        arg_error(n, fname, "number expected, got " .. typename(v))
    end

    local function string_arg(v, n, fname)
        if type(v) ~= "string" then arg_error(n, fname, "string expected, got " .. typename(v)) end
        return v
    end

    local function self_of(methods, v, kind, fname)
        local st = getmt(v)
        if st == nil or rawget(st, "__index") ~= methods then
            error(format("calling '%s' on bad self (%s expected, got %s); use a colon: x:%s()",
                fname, kind, typename(v), fname), 3)
        end
        return st
    end

    -- Go's integer division and remainder truncate toward zero; Lua's floor.
    local function quo(a, b)
        local q = a // b
        if q < 0 and q * b ~= a then q = q + 1 end
        return q
    end

    ---------------------------------------------------------------- calendar
    local function days_from_civil(y, m, d)
        if m <= 2 then y = y - 1 end
        local era = y // 400
        local yoe = y - era * 400
        local doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
        return era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    end

    local function civil_from_days(z)
        z = z + 719468
        local era = z // 146097
        local doe = z - era * 146097
        local yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
        local doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
        local mp = (5 * doy + 2) // 153
        local d = doy - (153 * mp + 2) // 5 + 1
        local m = mp < 10 and mp + 3 or mp - 9
        return yoe + era * 400 + (m <= 2 and 1 or 0), m, d
    end

    -- Wall-clock fields as if UTC, overflowing like Go's time.Date (month 13 = next January).
    local function wall_seconds(y, mo, d, h, mi, s)
        y, mo = y + (mo - 1) // 12, (mo - 1) % 12 + 1
        return (days_from_civil(y, mo, 1) + d - 1) * 86400 + h * 3600 + mi * 60 + s
    end

    ---------------------------------------------------------------- Location
    local function loc_tostring(l) return LOC(l).name end
    local function new_location(name, offset, zone)
        return setmetatable({}, {__index = loc_methods, __newindex = readonly, __name = "Location",
            __tostring = loc_tostring, __metatable = false, name = name, offset = offset, zone = zone})
    end

    function loc_methods.string(self) return self_of(loc_methods, self, "Location", "string").name end

    local UTC = new_location("UTC", 0, nil)
    local LOCAL = new_location("Local", nil, "Local")
    M.utc, M.localtz = UTC, LOCAL

    local function zone_at(L, sec)          -- offset, abbreviation in effect at `sec`
        if L.offset then return L.offset, L.name end
        return host.zone(L.zone, sec)
    end

    local function to_unix(L, wall)         -- wall-clock seconds in L -> unix seconds
        if L.offset then return wall - L.offset end
        return host.zone_unix(L.zone, wall)
    end

    local function location_arg(v, n, fname)
        if v == nil then return LOCAL end
        if LOC(v) == nil then arg_error(n, fname, "Location expected, got " .. typename(v)) end
        return v
    end

    ---------------------------------------------------------------- Duration
    local POW10 = {[3] = 1000, [6] = 1000000, [9] = 1000000000}

    local function fraction(u, prec)        -- integer part, ".fff" without trailing zeros
        local p = POW10[prec]
        local int, f = u // p, u % p
        if f == 0 then return int, "" end
        return int, "." .. (format("%0" .. prec .. "d", f):gsub("0+$", ""))
    end

    local function duration_string(d)       -- Go's Duration.String
        if d == 0 then return "0s" end
        if d == mininteger then return "-2562047h47m16.854775808s" end
        local neg, u, out = d < 0, d < 0 and -d or d, nil
        if u < US then
            out = u .. "ns"
        elseif u < S then
            local int, f = fraction(u, u < MS and 3 or 6)
            out = int .. f .. (u < MS and "µs" or "ms")
        else
            local secs, f = fraction(u, 9)
            out = (secs % 60) .. f .. "s"
            local mins = secs // 60
            if mins > 0 then
                out = (mins % 60) .. "m" .. out
                if mins // 60 > 0 then out = (mins // 60) .. "h" .. out end
            end
        end
        return neg and "-" .. out or out
    end

    -- States of two objects compared with < or <=; mixing kinds is an error, as in Lua.
    local function pair(methods, a, b)
        local x, y = getmt(a), getmt(b)
        if x == nil or y == nil or rawget(x, "__index") ~= methods or rawget(y, "__index") ~= methods then
            error(format("attempt to compare %s with %s", typename(a), typename(b)), 3)
        end
        return x, y
    end

    -- Every metamethod must be on each object's own metatable (Lua reads them raw).
    local function dur_tostring(d) return duration_string(DUR(d)[DNS]) end
    local function dur_eq(a, b)
        local x, y = DUR(a), DUR(b)
        return x ~= nil and y ~= nil and x[DNS] == y[DNS]
    end
    local function dur_lt(a, b) local x, y = pair(dur_methods, a, b) return x[DNS] < y[DNS] end
    local function dur_le(a, b) local x, y = pair(dur_methods, a, b) return x[DNS] <= y[DNS] end

    local function new_duration(ns)
        return setmetatable({}, {__index = dur_methods, __newindex = readonly, __name = "Duration",
            __tostring = dur_tostring, __eq = dur_eq, __lt = dur_lt, __le = dur_le,
            __metatable = false, ns})
    end

    -- A Duration, integer nanoseconds, or a Go duration string -> nanoseconds | nil, message.
    local function to_ns(v)
        local dv = state(v, dur_methods)
        if dv then return dv[DNS] end
        local t = mtype(v)
        if t == "integer" then return v end
        if t == "float" then
            if v ~= v or v >= 2^63 or v < -2^63 then return nil, "duration out of range" end
            return v >= 0 and floor(v) or ceil(v)
        end
        if type(v) == "string" then
            local parsed, err = host.parse_duration(v)
            if err then return nil, err:message() end
            return parsed
        end
        return nil, "duration, string or integer nanoseconds expected, got " .. typename(v)
    end

    local function dur_self(v, fname) return self_of(dur_methods, v, "Duration", fname)[DNS] end
    function dur_methods.nanoseconds(self) return dur_self(self, "nanoseconds") end
    function dur_methods.microseconds(self) return quo(dur_self(self, "microseconds"), US) end
    function dur_methods.milliseconds(self) return quo(dur_self(self, "milliseconds"), MS) end
    local function unit_float(d, unit)
        local q = quo(d, unit)
        return q + (d - q * unit) / unit
    end
    function dur_methods.seconds(self) return unit_float(dur_self(self, "seconds"), S) end
    function dur_methods.minutes(self) return unit_float(dur_self(self, "minutes"), MIN) end
    function dur_methods.hours(self) return unit_float(dur_self(self, "hours"), HOUR) end
    function dur_methods.string(self) return duration_string(dur_self(self, "string")) end

    function M.parse_duration(v)
        local ns, err = to_ns(v)
        if ns == nil then return nil, lib.error("Invalid", err, false) end
        return new_duration(ns), nil
    end

    ---------------------------------------------------------------- Time
    local function before(a, b)
        return a[SEC] < b[SEC] or (a[SEC] == b[SEC] and a[NSEC] < b[NSEC])
    end

    local function time_tostring(t) return time_methods.format(t, STRING_FORMAT) end
    local function time_eq(a, b)
        local x, y = TIME(a), TIME(b)
        return x ~= nil and y ~= nil and x[SEC] == y[SEC] and x[NSEC] == y[NSEC]
    end
    local function time_lt(a, b) local x, y = pair(time_methods, a, b) return before(x, y) end
    local function time_le(a, b) local x, y = pair(time_methods, a, b) return not before(y, x) end

    local function new_time(sec, nsec, loc)
        if nsec < 0 or nsec >= S then sec, nsec = sec + nsec // S, nsec % S end
        return setmetatable({}, {__index = time_methods, __newindex = readonly, __name = "Time",
            __tostring = time_tostring, __eq = time_eq, __lt = time_lt, __le = time_le,
            __metatable = false, sec, nsec, loc, false})
    end

    local function time_self(v, fname) return self_of(time_methods, v, "Time", fname) end
    local function time_arg(v, n, fname)
        local st = state(v, time_methods)
        if st == nil then arg_error(n, fname, "Time expected, got " .. typename(v)) end
        return st
    end

    -- Calendar fields in the Time's own zone, computed once per Time.
    local function fields(st)
        local c = st[CAL]
        if c then return c end
        local off, abbrev = zone_at(LOC(st[ZONE]), st[SEC])
        local wall = st[SEC] + off
        local days, sod = wall // 86400, wall % 86400
        local y, m, d = civil_from_days(days)
        c = {off = off, abbrev = abbrev, y = y, m = m, d = d, hh = sod // 3600,
             mm = sod % 3600 // 60, ss = sod % 60, wd = (days + 4) % 7,
             yd = days - days_from_civil(y, 1, 1) + 1}
        st[CAL] = c
        return c
    end

    function M.now()
        local sec, nsec = host.now()
        return new_time(sec, nsec, LOCAL)
    end

    function M.unix(sec, nsec)
        return new_time(int_arg(sec, 1, "unix"), int_arg(nsec, 2, "unix", 0), LOCAL)
    end

    function M.date(y, mo, d, h, mi, s, ns, loc)
        local f = "date"
        y, mo, d = int_arg(y, 1, f), int_arg(mo, 2, f), int_arg(d, 3, f)
        h, mi, s, ns = int_arg(h, 4, f, 0), int_arg(mi, 5, f, 0), int_arg(s, 6, f, 0), int_arg(ns, 7, f, 0)
        loc = location_arg(loc, 8, f)
        local wall = wall_seconds(y, mo, d, h, mi, s) + ns // S
        return new_time(to_unix(LOC(loc), wall), ns % S, loc)
    end

    function M.parse(layout, value, loc)
        string_arg(layout, 1, "parse")
        string_arg(value, 2, "parse")
        loc = location_arg(loc, 3, "parse")
        local L = LOC(loc)
        local sec, nsec, mode, zname, zoffset = host.parse(layout, value, L.name, L.offset, L.zone)
        if sec == nil then return nil, nsec end                 -- (nil, err)
        if mode == "utc" then loc = UTC
        elseif mode == "fixed" then loc = new_location(zname, zoffset, nil) end
        return new_time(sec, nsec, loc), nil
    end

    function M.load_location(name)
        if type(name) ~= "string" then
            return nil, lib.error("Invalid", "location name must be a string, got " .. typename(name), false)
        end
        if name == "" then return nil, lib.error("Invalid", "empty location name", false) end
        if name == "UTC" then return UTC, nil end
        if name == "Local" then return LOCAL, nil end
        local ok, err = host.load_location(name)
        if not ok then return nil, err end
        return new_location(name, nil, name), nil
    end

    function M.fixed_zone(name, offset)
        return new_location(string_arg(name, 1, "fixed_zone"), int_arg(offset, 2, "fixed_zone"), nil)
    end

    function M.sleep(d)
        local ns, msg = to_ns(d)
        if ns == nil then error(lib.error("Invalid", "time.sleep: " .. msg, false), 2) end
        if ns <= 0 then return nil end
        local channels = lib.channels
        local s = channels and channels.sched()
        if s and (s.spawned or 0) > 0 then
            -- Coroutines share this call (coroutine.spawn): sleep on a timer of their
            -- scheduler so the others run meanwhile, as Wippy's sleep yields.
            channels.timer(ns / S, nil, M.now).ch:receive()
            return nil
        end
        local _, err = lib.await("time.sleep", ns)
        if err then error(err, 2) end             -- the call's time budget ran out
        return nil
    end

    -- Timers deliver on channels of the calling coroutine's scheduler (the channel
    -- module, lib.channels): they fire while the call waits on a channel.
    local function timer_ns(d, fname, positive)
        local ns, msg = to_ns(d)
        if ns == nil then return nil, lib.error("Invalid", "time." .. fname .. ": " .. msg, false) end
        if positive and ns <= 0 then
            return nil, lib.error("Invalid", "time." .. fname .. ": duration must be positive, got "
                .. duration_string(ns), false)
        end
        return ns
    end
    local TIMER = {}
    -- A Timer's record and scheduler live on its own protected metatable, as a Time's do.
    local function timer_of(t, fname)
        local d = getmt(t)
        if d == nil or rawget(d, "__index") ~= TIMER then error("time: " .. fname .. " needs a Timer or Ticker (use t:" .. fname .. "())", 3) end
        return d
    end
    function TIMER.response(t) return timer_of(t, "response").tm.ch end
    TIMER.channel = TIMER.response
    function TIMER.stop(t)
        local d = timer_of(t, "stop")
        return lib.channels.stop(d.s, d.tm)
    end
    function TIMER.reset(t, dur)
        local d = timer_of(t, "reset")
        local ns, err = timer_ns(dur, "reset", true)
        if ns == nil then error(err, 2) end
        return lib.channels.reset(d.s, d.tm, ns / S)
    end
    local function start_timer(d, fname, periodic)
        local ns, err = timer_ns(d, fname, periodic or fname == "timer")
        if ns == nil then return nil, err end
        local tm, s = lib.channels.timer(math.max(ns, 0) / S, periodic and ns / S or nil, M.now)
        return tm, s
    end
    function M.after(d)
        local tm, err = start_timer(d, "after", false)
        if tm == nil then return nil, err end
        return tm.ch, nil
    end
    function M.timer(d)
        local tm, s = start_timer(d, "timer", false)
        if tm == nil then return nil, s end
        return setmetatable({}, {__index = TIMER, __name = "Timer", __metatable = false,
                                 tm = tm, s = s}), nil
    end
    function M.ticker(d)
        local tm, s = start_timer(d, "ticker", true)
        if tm == nil then return nil, s end
        return setmetatable({}, {__index = TIMER, __name = "Timer", __metatable = false,
                                 tm = tm, s = s}), nil
    end

    ---------------------------------------------------------------- Time methods
    local T = time_methods

    function T.add(self, d)
        local st = time_self(self, "add")
        local ns, msg = to_ns(d)
        if ns == nil then arg_error(1, "add", msg) end
        return new_time(st[SEC] + ns // S, st[NSEC] + ns % S, st[ZONE])
    end

    function T.sub(self, other)
        local a, b = time_self(self, "sub"), time_arg(other, 1, "sub")
        local ds, dn = a[SEC] - b[SEC], a[NSEC] - b[NSEC]
        local d                                  -- saturates at the Duration range, like Go
        if ds >= 9223372037 then
            d = math.maxinteger
        elseif ds <= -9223372037 then
            d = mininteger
        else
            d = ds * S + dn
            if ds > 0 and d < 0 then d = math.maxinteger elseif ds < 0 and d > 0 then d = mininteger end
        end
        return new_duration(d)
    end

    function T.add_date(self, years, months, days)
        local st = time_self(self, "add_date")
        local c = fields(st)
        local wall = wall_seconds(c.y + int_arg(years, 1, "add_date"), c.m + int_arg(months, 2, "add_date"),
            c.d + int_arg(days, 3, "add_date"), c.hh, c.mm, c.ss)
        return new_time(to_unix(LOC(st[ZONE]), wall), st[NSEC], st[ZONE])
    end

    function T.after(self, other) return before(time_arg(other, 1, "after"), time_self(self, "after")) end
    function T.before(self, other) return before(time_self(self, "before"), time_arg(other, 1, "before")) end
    function T.equal(self, other)
        local a, b = time_self(self, "equal"), time_arg(other, 1, "equal")
        return a[SEC] == b[SEC] and a[NSEC] == b[NSEC]
    end

    function T.format(self, layout)
        local st = time_self(self, "format")
        local c = fields(st)
        return host.format(string_arg(layout, 1, "format"), st[SEC], st[NSEC], c.off, c.abbrev)
    end
    function T.format_rfc3339(self) return T.format(self, RFC3339) end

    function T.unix(self) return time_self(self, "unix")[SEC] end
    function T.unix_nano(self)
        local st = time_self(self, "unix_nano")
        return st[SEC] * S + st[NSEC]
    end
    function T.date(self)
        local c = fields(time_self(self, "date"))
        return c.y, c.m, c.d
    end
    function T.clock(self)
        local c = fields(time_self(self, "clock"))
        return c.hh, c.mm, c.ss
    end
    for name, key in next, {year = "y", month = "m", day = "d", hour = "hh", minute = "mm",
                            second = "ss", weekday = "wd", year_day = "yd"} do
        T[name] = function(self) return fields(time_self(self, name))[key] end
    end
    function T.nanosecond(self) return time_self(self, "nanosecond")[NSEC] end
    function T.is_zero(self)
        local st = time_self(self, "is_zero")
        return st[SEC] == ZERO_SEC and st[NSEC] == 0
    end

    function T.in_location(self, loc)
        local st = time_self(self, "in_location")
        if LOC(loc) == nil then arg_error(1, "in_location", "Location expected, got " .. typename(loc)) end
        return new_time(st[SEC], st[NSEC], loc)
    end
    function T.utc(self)
        local st = time_self(self, "utc")
        return new_time(st[SEC], st[NSEC], UTC)
    end
    function T.in_local(self)
        local st = time_self(self, "in_local")
        return new_time(st[SEC], st[NSEC], LOCAL)
    end
    function T.location(self) return time_self(self, "location")[ZONE] end

    -- Round and truncate work on the time since Go's zero Time, as Go does.
    local function remainder(self, d, fname)
        local st = time_self(self, fname)
        local ns, msg = to_ns(d)
        if ns == nil then arg_error(1, fname, msg) end
        if ns <= 0 then return st, 0, 0 end
        return st, host.remainder(st[SEC], st[NSEC], ns), ns
    end
    function T.truncate(self, d)
        local st, r = remainder(self, d, "truncate")
        return new_time(st[SEC], st[NSEC] - r, st[ZONE])
    end
    function T.round(self, d)
        local st, r, ns = remainder(self, d, "round")
        if r < ns - r then return new_time(st[SEC], st[NSEC] - r, st[ZONE]) end
        return new_time(st[SEC] + (ns - r) // S, st[NSEC] + (ns - r) % S, st[ZONE])
    end

    return M
end
