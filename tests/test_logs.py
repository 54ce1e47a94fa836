"""Repeated identical error lines: the first is written, then a summary with a count
every interval, not a line each (wippy/logs.py RepeatFilter)."""
import io
import logging
import time

import pytest

from wippy.logs import fields, setup_logging


@pytest.fixture
def logged():
    stream = io.StringIO()
    handler = setup_logging(stream=stream, repeat_interval=0.3)
    yield stream
    logging.getLogger().removeHandler(handler)
    handler.close()


def lines(stream) -> list[str]:
    return stream.getvalue().splitlines()


def wait_for_lines(stream, n: int, timeout: float = 5.0) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(lines(stream)) < n:
        assert time.monotonic() < deadline, lines(stream)
        time.sleep(0.01)    # polling interval, not a wait for work
    return lines(stream)


def test_a_flood_of_one_error_is_one_line_then_a_summary_with_the_count(logged):
    log = logging.getLogger("wippy.queue.test")
    for i in range(1000):
        log.error("message processing failed", extra=fields(message_id=i, error="disk full"))
    log.error("another failure")                 # a different line passes at once
    log.warning("a warning")                     # below ERROR: never summarised
    log.warning("a warning")
    first = lines(logged)
    assert len(first) == 4, first
    assert "message processing failed message_id=0" in first[0]
    summary = wait_for_lines(logged, 5)[4]
    assert "ERROR wippy.queue.test message processing failed (repeated 999 times in 0.3s)" in summary
    assert "message_id=999" in summary and "repeated=999" in summary
    time.sleep(0.4)    # one more interval passes: no more summaries, nothing to count
    assert len(lines(logged)) == 5


def test_a_flood_that_goes_on_gives_one_summary_per_interval(logged):
    log = logging.getLogger("wippy.test")
    t_end = time.monotonic() + 1.0
    sent = 0
    while time.monotonic() < t_end:
        log.error("database or disk is full")
        sent += 1
        time.sleep(0.002)     # the flood's pace
    def counted() -> int:
        return sum(int(line.rsplit("repeated=", 1)[1]) for line in lines(logged)[1:])
    deadline = time.monotonic() + 5
    while counted() < sent - 1:
        assert time.monotonic() < deadline, lines(logged)
        time.sleep(0.01)      # polling interval, not a wait for work
    out = lines(logged)
    assert out[0].endswith("database or disk is full")
    assert 3 <= len(out) <= 6, out    # the first, then one summary per 0.3 s
    assert counted() == sent - 1
    # After a quiet interval (longer than 0.3 s since the last summary) the same error
    # is written again, as a first.
    time.sleep(0.4)
    log.error("database or disk is full")
    assert lines(logged)[-1].endswith("database or disk is full")


def test_pending_summaries_are_written_when_the_handler_closes():
    stream = io.StringIO()
    handler = setup_logging(stream=stream, repeat_interval=60)
    log = logging.getLogger("wippy.test")
    for _ in range(3):
        log.error("boom")
    logging.getLogger().removeHandler(handler)
    handler.close()
    out = lines(stream)
    assert len(out) == 2 and "boom (repeated 2 times in 60s)" in out[1]
