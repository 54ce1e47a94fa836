"""`wippy run -x`, `wippy run <command>` and `wippy run list` as real subprocesses on a
small command-line app (tests/terminal/cliapp): what lands on stdout and stderr, exit
codes, crashes, reading stdin to its end, Ctrl-C."""
from __future__ import annotations

import signal
import time

import pytest

from tests.polling import poll_until
from tests.terminal.helpers import Running, make_app, wippy


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return make_app(tmp_path_factory.mktemp("terminal"))


def test_stdout_carries_only_the_programs_output(app):
    res = wippy(app, "run", "-x", "app:greet", "-v", "Ann", "Bob")
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"hello\tAnn\tBob\nargs:Ann,Bob\n"
    err = res.stderr.decode()
    assert "note: this line is for stderr" in err
    assert "runtime ready" in err and "greeting" in err   # -v: the logs, on stderr


def test_logs_are_off_by_default_with_exec(app):
    res = wippy(app, "run", "-x", "app:greet")
    assert res.returncode == 0
    assert res.stdout == b"hello\nargs:\n"
    assert res.stderr == b"note: this line is for stderr\n"


@pytest.mark.parametrize("arg, code", [("0", 0), ("7", 7), ("false", 1), ("none", 0)])
def test_exit_code_is_what_main_returns(app, arg, code):
    res = wippy(app, "run", "-x", "app:code", arg)
    assert res.returncode == code
    assert res.stdout == f"exiting with {arg}\n".encode()


def test_a_crash_exits_1_with_the_error_on_stderr(app):
    res = wippy(app, "run", "-x", "app:crash")
    assert res.returncode == 1
    assert res.stdout == b"before the crash\n"
    err = res.stderr.decode()
    assert err.startswith("Error: app:crash: ") and "boom at step 2" in err
    assert "Traceback" not in err


def test_returning_nil_err_exits_1_with_the_error(app):
    res = wippy(app, "run", "-x", "app:code", "nil-err")
    assert res.returncode == 1
    assert res.stderr.decode().strip() == "Error: app:code: bad input: nil-err"


def test_readline_until_end_of_input_ends_cleanly(app):
    res = wippy(app, "run", "-x", "app:lines", stdin=b"alpha\nbeta\r\n\ngamma")
    assert res.returncode == 0, res.stderr
    assert res.stdout.decode().splitlines() == [
        "1: alpha", "2: beta", "3: ", "4: gamma", "end of input after 4 lines (EOF)"]
    assert res.stderr == b""


def test_stdin_may_be_a_regular_file(app, tmp_path):
    data = tmp_path / "input.txt"
    data.write_text("".join(f"line {i}\n" for i in range(1000)))
    with data.open("rb") as f:
        res = wippy(app, "run", "-x", "app:lines", stdin=f.fileno())
    assert res.returncode == 0, res.stderr
    out = res.stdout.decode().splitlines()
    assert out[0] == "1: line 0" and out[999] == "1000: line 999"
    assert out[-1] == "end of input after 1000 lines (EOF)"


def test_no_input_at_all(app):
    res = wippy(app, "run", "-x", "app:lines", stdin=b"")
    assert res.returncode == 0
    assert res.stdout == b"end of input after 0 lines (EOF)\n"


def test_ctrl_c_fails_the_waiting_read_and_the_program_finishes(app):
    run = Running(app, "run", "-x", "app:prompt")
    try:
        poll_until(lambda: b"> " in run.out, 30, message="the prompt")
        started = time.monotonic()
        run.proc.send_signal(signal.SIGINT)
        code, out, err = run.finish()
        assert code == 0, err
        assert out == b"> stopped: interrupted (Canceled)\n"
        assert time.monotonic() - started < 5
    finally:
        run.kill()


def test_ctrl_c_terminates_a_program_that_does_not_stop(app):
    run = Running(app, "run", "-x", "app:sleeper")
    try:
        poll_until(lambda: b"sleeping" in run.out, 30, message="the program to start")
        started = time.monotonic()
        run.proc.send_signal(signal.SIGINT)
        code, out, err = run.finish()
        assert code == 130, err
        # The terminal host's stop_timeout is 2 s: terminated after the 1 s grace.
        assert 0.9 < time.monotonic() - started < 10
        assert out == b"sleeping\n"
    finally:
        run.kill()


def test_run_list(app):
    res = wippy(app, "run", "list")
    assert res.returncode == 0
    assert res.stdout.decode() == (
        "Available commands:\n\n"
        "  greet  Greet someone  (app:greet)\n"
        "  count  Count input lines  (app:lines)\n"
        "  selftest  Check the app  [wippy test]  (app:selftest)\n\n"
        "Run with: wippy run <command>\n")


def test_run_a_command_by_name_with_arguments(app):
    res = wippy(app, "run", "greet", "x", "y z")
    assert res.returncode == 0, res.stderr
    assert res.stdout == b"hello\tx\ty z\nargs:x,y z\n"
    res = wippy(app, "run", "count", stdin=b"one\ntwo\n")
    assert res.stdout.decode().splitlines()[-1] == "end of input after 2 lines (EOF)"


def test_a_bare_entry_name_works_with_exec(app):
    res = wippy(app, "run", "-x", "greet")
    assert res.returncode == 0 and res.stdout.startswith(b"hello\n")


@pytest.mark.parametrize("args, message", [
    (["-x", "app:zzz"], "Error: entry app:zzz not found"),
    (["-x", "app:terminal"], "Error: app:terminal is a terminal.host entry; -x runs "
                             "process.lua entries"),
    (["-x", "gret"], "Error: no process.lua entry named 'gret' (did you mean greet?) "
                       "(give namespace:entry)"),
    (["gret"], "Error: unknown command 'gret' (did you mean greet?); `wippy run list` "
               "lists the commands"),
    (["-x", "app:greet", "--host", "app:greet"], "Error: app:greet is not a terminal.host "
                                                 "entry"),
    (["selftest"], "Error: command 'selftest' (app:selftest) has use_case: test; `wippy run` "
                   "runs the commands of use case run"),
    (["-x", "app:greet", "--watch"], "Error: --watch reloads a serving runtime; it does not "
                                     "combine with -x or a command"),
])
def test_what_cannot_run_is_named(app, args, message):
    res = wippy(app, "run", *args)
    assert res.returncode == 1
    assert res.stdout == b""
    assert res.stderr.decode().strip() == message


PROGRAM = """
  - name: hello
    kind: process.lua
    source: "local io = require('io') return {main = function() io.print('hi') end}"
    method: main
    modules: [io]
"""


def test_no_terminal_host(tmp_path):
    project = make_app(tmp_path, "bare", 'version: "1.0"\nnamespace: app\nentries:' + PROGRAM)
    res = wippy(project, "run", "-x", "app:hello")
    assert res.returncode == 1
    assert "no terminal.host found in registry" in res.stderr.decode()


def test_two_terminal_hosts_need_host(tmp_path):
    hosts = "".join(f"\n  - name: {n}\n    kind: terminal.host\n    lifecycle:\n"
                    "      auto_start: true\n" for n in ("t1", "t2"))
    project = make_app(tmp_path, "two", 'version: "1.0"\nnamespace: app\nentries:'
                       + hosts + PROGRAM)
    res = wippy(project, "run", "-x", "app:hello")
    assert res.returncode == 1
    assert ("multiple terminal hosts found (app:t1, app:t2), use --host to specify"
            in res.stderr.decode())
    res = wippy(project, "run", "-x", "app:hello", "--host", "app:t2")
    assert res.returncode == 0 and res.stdout == b"hi\n"


def test_terminal_host_config_is_strict(tmp_path):
    index = ('version: "1.0"\nnamespace: app\nentries:\n  - name: t\n    kind: terminal.host\n'
             '    hide_log: true\n' + PROGRAM)
    project = make_app(tmp_path, "strict", index)
    res = wippy(project, "run", "-x", "app:hello")
    assert res.returncode == 1
    err = res.stderr.decode()
    assert "_index.yaml:6" in err and "hide_log" in err and "hide_logs" in err


def test_system_exit_sets_the_exit_code(app):
    res = wippy(app, "run", "-x", "app:quitter")
    assert res.returncode == 5, res.stderr
    assert res.stdout == b"quitting with 5\nexit requested: true, nil\n"


@pytest.mark.parametrize("typed, said", [(b"hello\n", b"got hello\n"),
                                         (b"", b"stopped: EOF (Internal)\n")])
def test_readline_lets_the_programs_other_coroutines_run(app, typed, said):
    """While main waits in io.readline, a coroutine it spawned keeps ticking; the line
    (or the end of input) then reaches main."""
    run = Running(app, "run", "-x", "app:ticker_read")
    try:
        poll_until(lambda: b"tick 3\n" in run.out, 30, message="ticks while main reads")
        run.proc.stdin.write(typed)
        run.proc.stdin.close()
        code, out, err = run.finish()
        assert code == 0, err
        assert out.startswith(b"tick 1\ntick 2\ntick 3\n")
        assert out.endswith(said)
        assert set(out[:-len(said)].splitlines()) <= {b"tick %d" % i for i in range(1, 10_000)}
    finally:
        run.kill()
