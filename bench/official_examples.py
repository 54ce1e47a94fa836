"""Run Wippy's official examples (github.com/wippy-projects/examples) unmodified and
compare what they print with what their READMEs show.

    python bench/official_examples.py [CHECKOUT] [--only NAME ...] [--wait SECONDS]

CHECKOUT defaults to /work/official. Each example is copied to a temporary directory
first (the checkout is never written to), `wippy init` runs when it has no wippy.lock,
then the README's run command runs (`wippy run`, or `wippy run -x app:...` for terminal
programs) as `python -m wippy ...`. A service app runs until every line its README
shows has appeared, or until the lines before the README's last `...`/`^C` have and
then five quiet seconds passed, or `--wait` seconds; its README's curl commands run
against it once it is ready; then it gets SIGINT, like Ctrl+C. A terminal program runs
until it exits (at most `--wait`). Apps that declare `ns.dependency` need Wippy hub
modules and are reported as out of scope. If port 8080 is taken, an app's HTTP
services get a free port with `-o` and the curl commands follow it.

Prints a Markdown table: PASS (every README line and response matched, exit 0),
FAIL (with what was missing), OUT OF SCOPE. README parsing and matching:
bench/official_readme.py.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import official_readme as readme  # noqa: E402

import yaml  # noqa: E402

DEFAULT_CHECKOUT = Path("/work/official")
QUIET = 5.0


@dataclass
class Result:
    app: str
    command: str = ""
    status: str = "FAIL"
    notes: list[str] = field(default_factory=list)


class Proc:
    """A child with stdout and stderr lines collected as they arrive."""

    def __init__(self, argv: list[str], cwd: Path, stdin_text: str | None = None):
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.p = subprocess.Popen(argv, cwd=cwd, env=env,
                                  stdin=subprocess.DEVNULL if stdin_text is None else subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  errors="replace", start_new_session=True)
        if stdin_text is not None:   # what the README shows the user typing, then EOF
            try:
                self.p.stdin.write(stdin_text)
                self.p.stdin.close()
            except BrokenPipeError:
                pass
        self.lines: list[str] = []
        self._threads = [threading.Thread(target=self._read, args=(s,), daemon=True)
                         for s in (self.p.stdout, self.p.stderr)]
        for t in self._threads:
            t.start()

    def _read(self, stream) -> None:
        with stream:
            for line in stream:
                self.lines.append(line.rstrip("\n"))

    def stop(self, timeout: float = 20.0) -> int:
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.p.pid, signal.SIGKILL)
                self.p.wait(5)
        for t in self._threads:
            t.join(2)
        return self.p.returncode


def _entries(app: Path) -> list[tuple[str, dict]]:
    out = []
    for f in sorted((app / "src").rglob("*.yaml")):
        try:
            doc = yaml.safe_load(f.read_text()) or {}
        except yaml.YAMLError:
            continue
        if isinstance(doc, dict):
            for e in doc.get("entries") or []:
                if isinstance(e, dict):
                    out.append((str(doc.get("namespace", "")), e))
    return out


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(proc: Proc, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if any("runtime ready" in ln for ln in proc.lines):
            return True
        if proc.p.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def _run_checks(checks: list[readme.Check], port: int | None, notes: list[str]) -> bool:
    ok = True
    for check in checks:
        argv = readme.curl_argv(check.command, port)
        # A read may show work that finishes in the background ("list tasks (after
        # processing)"): a GET whose answer differs is asked again for a few seconds.
        reads = not re.search(r"\s(-X\s*(POST|PUT|PATCH|DELETE)|-d|--data)\b", check.command)
        until = time.monotonic() + (5.0 if reads else 0.0)
        while True:
            try:
                out = subprocess.run(argv, capture_output=True, text=True, timeout=15)
            except subprocess.TimeoutExpired:
                out = None
                break
            body, _, code = out.stdout.rpartition("\n")
            if (check.expected is None or readme.response_matches(check.expected, body)
                    or time.monotonic() >= until):
                break
            time.sleep(0.2)
        if out is None:
            notes.append(f"`{check.command[:60]}` timed out")
            ok = False
            continue
        status = int(code) if code.isdigit() else 0
        if status == 0 or status >= 500:
            notes.append(f"`{check.command[:60]}` -> HTTP {status} {body[:120]!r}")
            ok = False
        elif check.expected is not None and not readme.response_matches(check.expected, body):
            notes.append(f"`{check.command[:60]}` -> {body[:160]!r}, README shows "
                         f"{check.expected[:120]!r}")
            ok = False
    if checks and ok:
        notes.append(f"{len(checks)} curl command(s) answered as shown")
    return ok


def _settled(doc: readme.Readme, proc: Proc, state: dict) -> bool:
    """Every line shown has appeared, or those before the last marker have and
    QUIET seconds passed since."""
    exp = doc.expected
    _, _, missing = readme.match(exp, proc.lines)
    if not missing:
        return True
    marks = [i for i, ln in enumerate(exp) if ln.strip() in readme.MARKERS]
    head = exp[:marks[-1]] if marks else exp
    if marks and not readme.match(head, proc.lines)[2]:
        state.setdefault("head_at", time.monotonic())
        return time.monotonic() - state["head_at"] >= QUIET
    return False


def run_app(app: Path, index_text: str, wait: float, work: Path) -> Result:
    res = Result(app.name)
    entries = _entries(app)
    if any(e.get("kind") == "ns.dependency" for _, e in entries):
        res.status = "OUT OF SCOPE"
        res.notes.append("declares ns.dependency: needs Wippy hub modules")
        return res
    doc = readme.parse((app / "README.md").read_text())
    cmd = doc.run or readme.command_from_index(index_text, app.name)
    if not cmd:
        res.notes.append("no `wippy run` command in its README")
        return res
    res.command = cmd
    project = work / app.name
    shutil.copytree(app, project, ignore=shutil.ignore_patterns(".git"))
    py = [sys.executable, "-m", "wippy"]
    if not (project / "wippy.lock").exists():
        subprocess.run([*py, "init"], cwd=project, capture_output=True, timeout=60)
    argv = [*py, *shlex.split(cmd)[1:]]
    port = None
    http = [(ns, e) for ns, e in entries if e.get("kind") == "http.service"]
    if http and not _port_free(8080):
        port = _free_port()
        for ns, e in http:
            argv += ["-o", f"{ns}:{e.get('name')}:addr=127.0.0.1:{port}"]
        res.notes.append(f"port 8080 busy: HTTP on :{port} via -o")
    terminal = "-x" in argv or "--exec" in argv
    typed = None
    if terminal and any(ln.startswith("> ") for ln in doc.expected):
        # `> text` lines are what the user typed at the program's "> " prompt: they go
        # to stdin, and the prompts (not echoed through a pipe) leave the output lines.
        typed = "".join(ln[2:] + "\n" for ln in doc.expected if ln.startswith("> "))
        doc.expected = [ln for ln in doc.expected if not ln.startswith("> ")]
        res.notes.append(f"typed {typed.count(chr(10))} line(s) its README shows")
    proc = Proc(argv, project, typed)
    deadline = time.monotonic() + wait
    checks_ok = True
    try:
        if terminal:
            try:
                proc.p.wait(wait)
            except subprocess.TimeoutExpired:
                res.notes.append(f"still running after {wait:g}s: sent SIGINT")
        else:
            if doc.checks:
                if _wait_ready(proc, deadline):
                    checks_ok = _run_checks(doc.checks, port, res.notes)
                else:
                    checks_ok = False
                    res.notes.append("never became ready for its curl commands")
            state: dict = {}
            while time.monotonic() < deadline and proc.p.poll() is None:
                if doc.expected and _settled(doc, proc, state):
                    break
                if not doc.expected and (not doc.checks or not checks_ok
                                         or any("runtime ready" in ln for ln in proc.lines)):
                    break
                time.sleep(0.1)
            if proc.p.poll() is not None:
                res.notes.append(f"exited on its own with {proc.p.returncode}")
    finally:
        code = proc.stop()
    lines = [re.sub(r"^(> )+", "", ln) for ln in proc.lines] if typed else proc.lines
    exact, approx, missing = readme.match(doc.expected, lines)
    shown = exact + approx + len(missing)
    if shown:
        res.notes.insert(0, f"{exact + approx}/{shown} README lines "
                            f"({exact} exact, {approx} loosely: other numbers or order)")
    for m in missing[:3]:
        res.notes.append(f"missing: {m[:140]}")
    if code not in (0, -signal.SIGINT):
        res.notes.append(f"exit code {code}; last lines: "
                         + " | ".join(ln[-140:] for ln in proc.lines[-3:]))
    if not missing and checks_ok and code in (0, -signal.SIGINT):
        res.status = "PASS"
        if not shown and not doc.checks:
            res.notes.append("README shows no output: started and stopped cleanly")
    return res


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkout", nargs="?", type=Path, default=DEFAULT_CHECKOUT)
    ap.add_argument("--only", nargs="*", default=None, help="example directory names")
    ap.add_argument("--wait", type=float, default=30.0,
                    help="seconds an app may run before it is stopped (default 30)")
    args = ap.parse_args(argv)
    root = args.checkout
    index = (root / "README.md").read_text() if (root / "README.md").exists() else ""
    apps = sorted(p for p in root.iterdir() if (p / "README.md").exists() and (p / "src").is_dir())
    if args.only:
        apps = [p for p in apps if p.name in args.only]
    results = []
    with tempfile.TemporaryDirectory(prefix="wippy-official-") as tmp:
        for app in apps:
            t0 = time.monotonic()
            res = run_app(app, index, args.wait, Path(tmp))
            results.append(res)
            print(f"{res.app}: {res.status} ({time.monotonic() - t0:.0f}s)", file=sys.stderr,
                  flush=True)
    print("| example | command | result | details |")
    print("|---|---|---|---|")
    for r in results:
        notes = "; ".join(n.replace("|", "\\|") for n in r.notes)
        print(f"| {r.app} | `{r.command}` | {r.status} | {notes} |" if r.command
              else f"| {r.app} | | {r.status} | {notes} |")
    passed = sum(r.status == "PASS" for r in results)
    print(f"\n{passed} of {len(results)} pass; "
          f"{sum(r.status == 'OUT OF SCOPE' for r in results)} out of scope.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
