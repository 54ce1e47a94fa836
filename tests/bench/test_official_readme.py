"""The official-examples runner's README reading and line matching (bench/official_readme.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import official_readme as readme  # noqa: E402


def test_run_command_and_expected_output_follow_each_other():
    text = "\n".join([
        "# App", "```bash", "cd app", "wippy run -x app:cli", "```",
        "**Output:**", "```", "Hello, world!", "Done.", "```",
    ])
    doc = readme.parse(text)
    assert doc.run == "wippy run -x app:cli"
    assert doc.expected == ["Hello, world!", "Done."]


def test_numbers_pids_and_order_match_loosely_but_words_do_not():
    exact, loose, missing = readme.match(
        ["Worker {app:processes|0x00002} took 12 ms", "names: Alice, Bob", "gone"],
        ["Worker {app:processes|0x0000a} took 7 ms", "names: Bob, Alice", "here"])
    assert (exact, loose) == (0, 2)
    assert missing == ["gone"]


def test_a_lua_position_prefix_is_dropped_only_in_the_loose_pass():
    want = ["[supervisor] Error: something went wrong at tick 2"]
    assert readme.match(want, ["[supervisor] Error: src/worker.lua:19: something went wrong"
                               " at tick 2"]) == (0, 1, [])
    assert readme.match(want, ["[supervisor] Error: app:worker:19: something went wrong"
                               " at tick 2"]) == (0, 1, [])
    assert readme.match(want, ["[supervisor] Error: something else at tick 2"])[2] == want


def test_log_lines_compare_level_message_and_fields():
    want = ['INFO  Worker tick  {"pid": "{app:p|0x1}", "tick": 3}']
    got = ['2026-12-06T01:00:00Z INFO wippy.lua.app:worker Worker tick entry=app:worker '
           'pid={app:p|0x9} tick=3']
    assert readme.match(want, got) == (1, 0, [])
    assert readme.match(want, [got[0].replace("INFO", "WARN", 1)])[2]
