"""Parameter conversion and the declared-type row conversions (mattn/go-sqlite3 rules)."""
import pytest

from wippy.errors import INVALID, WippyError
from wippy.sql.values import (ZERO_TIME, convert_bool, convert_time, param, params_list,
                              row_dicts, varargs)


def test_scalars_pass_and_tables_become_null():
    assert [param(v) for v in (1, 1.5, "x", True, b"\x00", None)] == [1, 1.5, "x", True, b"\x00", None]
    assert param([]) is None            # sql.NULL arrives as an empty table
    assert param({"a": 1}) is None      # any other table is NULL, never an IN list
    assert param([1, 2]) is None
    assert param({"$sql": "binary", "hex": "00ff"}) == b"\x00\xff"
    assert param({"$sql": "binary", "hex": "zz"}) == b""


def test_params_list_accepts_arrays_with_holes():
    assert params_list(None) == []
    assert params_list([]) == []
    assert params_list({}) == []
    assert params_list([1, [], "a"]) == [1, None, "a"]
    assert params_list({1: "a", 3: "c"}) == ["a", None, "c"]


@pytest.mark.parametrize("bad, name", [("x", "string"), (5, "number"), (True, "boolean")])
def test_params_must_be_a_table(bad, name):
    with pytest.raises(WippyError) as info:
        params_list(bad)
    assert info.value.message == f"parameters must be a table, got {name}"
    assert info.value.kind == INVALID


def test_named_params_are_refused():
    with pytest.raises(WippyError, match="array table"):
        params_list({"a": 1})


def test_varargs_keep_holes():
    assert varargs({"n": 3, 1: "a", 3: "c"}) == ["a", None, "c"]
    assert varargs(["a", [], "c"]) == ["a", None, "c"]
    assert varargs(None) == []


def test_time_conversion_to_rfc3339_utc():
    assert convert_time(b"1700000000") == "2023-11-14T22:13:20Z"
    assert convert_time(b"1700000000123") == "2023-11-14T22:13:20Z"      # milliseconds
    assert convert_time(b"2024-01-02 03:04:05") == "2024-01-02T03:04:05Z"
    assert convert_time(b"2024-01-02T03:04:05.123456Z") == "2024-01-02T03:04:05Z"
    assert convert_time(b"2024-01-02 03:04:05+02:00") == "2024-01-02T01:04:05Z"
    assert convert_time(b"2024-01-02 03:04") == "2024-01-02T03:04:00Z"
    assert convert_time(b"2024-01-02") == "2024-01-02T00:00:00Z"
    assert convert_time(b"not a time") == ZERO_TIME
    assert convert_time(b"2024-13-45") == ZERO_TIME
    assert convert_time(b"1.5") == 1.5   # REAL stays a number, as in mattn


def test_boolean_conversion():
    assert convert_bool(b"1") is True
    assert convert_bool(b"0") is False
    assert convert_bool(b"-1") is False   # mattn: val > 0
    assert convert_bool(b"yes") == "yes"


def test_null_columns_are_left_out():
    assert row_dicts(["a", "b"], [(1, None), (None, "x")]) == [{"a": 1}, {"b": "x"}]
