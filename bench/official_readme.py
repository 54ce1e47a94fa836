"""What an official example's README promises, and whether an output keeps the promise.

Used by bench/official_examples.py. The READMEs of github.com/wippy-projects/examples
are written for people, so this reads them the way a person would:

* the run command is the first `wippy run ...` line of a ```bash block;
* the expected output is the first fence without a language (or `text`/`console`)
  that follows the run command, when its lines look like output (log lines or
  program text, not a diagram or a file tree);
* HTTP checks are the `curl` commands of ```bash blocks, each with the response it
  expects: a `# → ...` comment after it, or the ```json/plain block right after a
  block whose last command it is.

Matching is "the same lines in substance": pids are masked; a line matches exactly,
or loosely: every number treated as "some number" (counts, durations and sizes depend
on timing), a Lua error's `file:line: ` position prefix dropped, or the same words in
another order (lists made from Lua tables come out in hash order). Each expected line is consumed by one output line.
"""
from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

FENCE = re.compile(r"^```(\w*)\s*$")
LEVEL = re.compile(r"^(DEBUG|INFO|WARN|WARNING|ERROR)\s+(.*)$")
PID = re.compile(r"\{(?:[\w.:-]*\|)?0x[0-9a-fA-F]+\}|[\w.:-]+\|0x[0-9a-fA-F]+|<[\w.:-]*\|[^>]*>"
                 r"|\b0x[0-9a-fA-F]+\b")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")
MARKERS = {"...", "^C", "…"}
ANY = "\x00any"


@dataclass
class Check:
    command: str                 # the curl command line, as written
    expected: str | None = None  # the response the README shows, if it shows one


@dataclass
class Readme:
    run: str | None = None
    expected: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)


def blocks(text: str) -> list[tuple[str, list[str]]]:
    out, lang, body = [], None, []
    for line in text.splitlines():
        m = FENCE.match(line.strip())
        if m and lang is None:
            lang, body = m.group(1).lower(), []
        elif line.strip() == "```" and lang is not None:
            out.append((lang, body))
            lang = None
        elif lang is not None:
            body.append(line)
    return out


def _looks_like_output(lines: list[str]) -> bool:
    real = [ln for ln in lines if ln.strip()]
    if not real:
        return False
    drawing = sum(1 for ln in real if re.search(r"[│├└┌┐┘▶◀▼─]", ln))
    return drawing * 3 < len(real)


def _commands(lines: list[str]) -> list[tuple[str, list[str]]]:
    """(command, the comment lines right after it) of a bash block; `\\` joins lines."""
    out: list[tuple[str, list[str]]] = []
    pending = ""
    for raw in lines:
        line = raw.rstrip()
        if pending:
            pending += " " + line.strip().rstrip("\\").strip()
            if not line.endswith("\\"):
                out.append((pending, []))
                pending = ""
            continue
        s = line.strip()
        if not s:
            continue
        if s.startswith("#"):
            if out:
                out[-1][1].append(s.lstrip("#").strip())
            continue
        if s.endswith("\\"):
            pending = s.rstrip("\\").strip()
        else:
            out.append((s, []))
    return out


def parse(text: str) -> Readme:
    r = Readme()
    bs = blocks(text)
    after_run = None
    for i, (lang, body) in enumerate(bs):
        if lang in ("bash", "sh", "shell"):
            cmds = _commands(body)
            for cmd, comments in cmds:
                if r.run is None and re.match(r"^wippy run\b", cmd):
                    r.run, after_run = cmd, i
                if cmd.startswith("curl "):
                    arrow = [c.split("→", 1)[1].strip() for c in comments if "→" in c]
                    r.checks.append(Check(cmd, arrow[0] if arrow else None))
            nxt = bs[i + 1] if i + 1 < len(bs) else None
            if (cmds and cmds[-1][0].startswith("curl ") and r.checks[-1].expected is None
                    and nxt and nxt[0] in ("json", "", "text")):
                r.checks[-1].expected = "\n".join(nxt[1]).strip()
    if after_run is not None:
        for lang, body in bs[after_run + 1:]:
            if lang in ("bash", "sh", "shell", "json", "yaml", "lua"):
                continue
            if lang in ("", "text", "console") and _looks_like_output(body):
                r.expected = [ln.rstrip() for ln in body if ln.strip()]
            break
    return r


def command_from_index(index_text: str, app: str) -> str | None:
    """The run command the examples' top README gives in its table row for `app`."""
    for line in index_text.splitlines():
        if f"]({app})" in line:
            m = re.search(r"`(wippy run[^`]*)`", line)
            if m:
                return m.group(1)
    return None


# ---------------------------------------------------------------- output lines

def _mask(s: str) -> str:
    return re.sub(r"\s+", " ", PID.sub("<pid>", s)).strip()


# Lua's where-prefix on a raised string error ("src/worker.lua:19: ", or "app:worker:19: "
# with Go Wippy's entry-named chunks): Go Wippy adds one too, but some READMEs show the
# message without it, so a loose match drops it.
WHERE = re.compile(r"(?:[\w./-]+\.lua|[\w.-]+:[\w.-]+):\d+: ")


def _loose(s: str) -> str:
    return NUMBER.sub("<n>", WHERE.sub("", s))


def _fields_text(text: str) -> dict | None:
    """{...} as the READMEs write it: JSON, or Go-ish {key: value, ...}."""
    t = text.strip()
    t = re.sub(r",\s*\.\.\.\s*(?=[}\]])", "", t)
    t = re.sub(r"\{\s*\.\.\.\s*\}", "{}", t)
    t = PID.sub('"<pid>"', t)
    t = re.sub(r'"\{?"<pid>"\}?"', '"<pid>"', t)
    t = re.sub(r'([{,]\s*)([A-Za-z_][\w.\-]*)\s*:', r'\1"\2":', t)
    try:
        value = json.loads(t)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class Line:
    level: str | None
    message: str
    fields: dict

    def text(self) -> str:
        return self.message + (" " + json.dumps(self.fields, sort_keys=True)
                               if self.fields else "")


def expected_line(raw: str) -> Line | None:
    s = raw.strip()
    if s in MARKERS or not s:
        return None
    m = LEVEL.match(s)
    level, rest = (m.group(1)[:4], m.group(2)) if m else (None, s)
    if level is None:
        return Line(None, _mask(rest), {})
    brace = rest.find("{")
    if brace > 0:
        fields = _fields_text(rest[brace:])
        if fields is not None:
            return Line(level, _mask(rest[:brace]), fields)
    # logfmt style: the READMEs put two or more spaces between the message and each
    # key=value (a value may hold single spaces: "result=7 files removed")
    words, kv = [], {}
    for chunk in re.split(r"\s{2,}", rest.strip()):
        m = re.match(r"^([\w.\-]+)=(.*)$", chunk)
        if m and (kv or words):
            kv[m.group(1)] = m.group(2)
        else:
            words.append(chunk)
    return Line(level, _mask(" ".join(words)), kv)


ACTUAL = re.compile(r"^\S+\s+(DEBUG|INFO|WARN|ERROR)\s+(\S+)\s+(.*)$")
FIELD = re.compile(r'\s([\w.\-:]+)=("(?:[^"\\]|\\.)*"|\S*)')


def actual_line(raw: str) -> Line:
    m = ACTUAL.match(raw.strip())
    if not m:
        return Line(None, _mask(raw), {})
    level, logger, rest = m.group(1)[:4], m.group(2), " " + m.group(3)
    cut = rest.find(" entry=") if logger.startswith("wippy.lua.") else -1
    if cut < 0:
        first = FIELD.search(rest)
        cut = first.start() if first else len(rest)
    message, fields = rest[:cut], {}
    for k, v in FIELD.findall(rest[cut:]):
        if v.startswith('"'):
            try:
                v = json.loads(v)
            except ValueError:
                pass
        if isinstance(v, str) and v[:1] in "{[":
            try:
                v = json.loads(v)
            except ValueError:
                pass
        fields[k] = v
    return Line(level, _mask(message), fields)


def _value_eq(want, got, loose: bool) -> bool:
    if want == "<pid>" or want == ANY:
        return True
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and _value_eq(v, got[k], loose)
                                             for k, v in want.items())
    if isinstance(want, list):
        return isinstance(got, list) and len(want) == len(got) and all(
            _value_eq(a, b, loose) for a, b in zip(want, got))
    w, g = _mask(str(want)), _mask(str(got))
    if isinstance(want, bool) or isinstance(got, bool):
        return w.lower() == g.lower()
    if w == g:
        return True
    try:
        if float(w) == float(g):
            return True
    except ValueError:
        pass
    return loose and _loose(w) == _loose(g)


def _words(s: str) -> list[str]:
    """The line's words in any order: lists built from Lua tables (`pairs`) come out
    in hash order, which differs between Go's Lua and this one."""
    return sorted(re.findall(r"\w+|[^\w\s]", s))


def line_matches(want: Line, got: Line, loose: bool) -> bool:
    if want.level is not None and got.level != want.level:
        return False
    a, b = want.message, got.message
    if a != b and not (loose and (_loose(a) == _loose(b)
                                  or _words(_loose(a)) == _words(_loose(b)))):
        return False
    return all(k in got.fields and _value_eq(v, got.fields[k], loose)
               for k, v in want.fields.items())


def match(expected: list[str], output: list[str]) -> tuple[int, int, list[str]]:
    """(exact, approximate, missing) over the expected lines: each expected line takes
    the first unused output line that matches, exactly if one does, else loosely."""
    wants = [w for w in (expected_line(x) for x in expected) if w is not None]
    gots = [actual_line(x) for x in output if x.strip()]
    used = [False] * len(gots)
    exact = approx = 0
    missing = []
    for w in wants:
        for loose in (False, True):
            hit = next((i for i, g in enumerate(gots)
                        if not used[i] and line_matches(w, g, loose)), None)
            if hit is not None:
                used[hit] = True
                if loose:
                    approx += 1
                else:
                    exact += 1
                break
        else:
            missing.append(w.text())
    return exact, approx, missing


# ---------------------------------------------------------------- HTTP responses

def _expected_json(text: str):
    t = re.sub(r"\[\s*\.\.\.\s*\]", lambda m: json.dumps([ANY]), text)
    # every string token, left to right; one holding "..." stands for any value
    t = re.sub(r'"(?:[^"\\\n]|\\.)*"',
               lambda m: json.dumps(ANY) if "..." in m.group(0) else m.group(0), t)
    t = re.sub(r",\s*\.\.\.\s*(?=[}\]])", "", t)
    try:
        return json.loads(t)
    except ValueError:
        return None


def _json_eq(want, got) -> bool:
    if want == ANY:
        return True
    if isinstance(want, dict):
        return isinstance(got, dict) and all(k in got and _json_eq(v, got[k])
                                             for k, v in want.items())
    if isinstance(want, list):
        if want == [ANY]:
            return isinstance(got, list)
        return isinstance(got, list) and len(got) >= len(want) and all(
            _json_eq(a, b) for a, b in zip(want, got))
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        return True   # ids, timestamps and durations differ run to run
    return want == got


def response_matches(expected: str, body: str) -> bool:
    want = _expected_json(expected)
    try:
        got = json.loads(body)
    except ValueError:
        got = None
    if want is not None and got is not None:
        return _json_eq(want, got)
    pattern = re.escape(re.sub(r"\s+", "", expected)).replace(re.escape("..."), ".*")
    return re.fullmatch(pattern, re.sub(r"\s+", "", body), re.S) is not None


def curl_argv(command: str, port: int | None) -> list[str]:
    argv = shlex.split(command)
    if port is not None:
        argv = [re.sub(r"(localhost|127\.0\.0\.1):8080", f"127.0.0.1:{port}", a) for a in argv]
    # -s: no progress meter; -w: the status code after the body, on its own line
    return [argv[0], "-s", "-S", "--max-time", "10", "-w", "\n%{http_code}", *argv[1:]]
