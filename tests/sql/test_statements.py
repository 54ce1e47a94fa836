"""Statement routing: what goes to a reader, the writer, or is refused."""
import pytest

from wippy.sql.statements import CONTROL, READ, SOLO, WRITE, classify, head_word


@pytest.mark.parametrize("sql, route", [
    ("SELECT 1", READ),
    ("  select * from t", READ),
    ("-- comment\nSELECT 1", READ),
    ("/* c */ VALUES (1)", READ),
    ("EXPLAIN QUERY PLAN DELETE FROM t", READ),
    ("WITH x AS (SELECT 1) SELECT * FROM x", READ),
    ("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", WRITE),
    ("WITH x AS (DELETE FROM t RETURNING 1) SELECT 1", READ),  # not valid SQLite; parens hide it
    ("INSERT INTO t VALUES (1)", WRITE),
    ("UPDATE t SET a = 'SELECT'", WRITE),
    ("CREATE TABLE t (a)", WRITE),
    ("REPLACE INTO t VALUES (1)", WRITE),
    ("PRAGMA user_version", SOLO),
    ("VACUUM", SOLO),
    ("BEGIN", CONTROL),
    ("begin immediate", CONTROL),
    ("COMMIT", CONTROL),
    ("END TRANSACTION", CONTROL),
    ("ROLLBACK TO x", CONTROL),
    ("SAVEPOINT x", CONTROL),
    ("RELEASE x", CONTROL),
])
def test_classify(sql, route):
    assert classify(sql) == route


def test_literals_and_comments_are_skipped():
    assert head_word("'INSERT' ; SELECT") == "SELECT"
    assert head_word('"DELETE" SELECT') == "SELECT"
    assert head_word("/* INSERT */ -- UPDATE\n SELECT") == "SELECT"
    assert head_word("[INSERT] x") == "X"
    assert classify("WITH a AS (SELECT 'INSERT') SELECT * FROM a") == READ
    assert classify("WITH \"INSERT\" AS (SELECT 1) SELECT 1") == READ


def test_empty_statement_is_a_write():
    # Refused earlier ("query is required"); routing must not crash on it.
    assert classify("") == WRITE
