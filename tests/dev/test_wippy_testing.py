"""The wippy_app pytest fixture (wippy.testing) on the notes app: a real runtime in
process, a real HTTP client on a free port, the app's database and queue."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.polling import poll_until
from wippy.errors import WippyError
from wippy.testing import start_app



@pytest.fixture
def wippy_project(notes_app) -> Path:
    return notes_app


def test_client_database_and_consumer(wippy_app):
    assert wippy_app.url.startswith("http://127.0.0.1:") and not wippy_app.url.endswith(":8080")
    created = wippy_app.client.post("/notes", json={"text": "three small words"})
    assert created.status_code == 201, created.text
    note_id = created.json()["id"]
    # the queue consumer counts the words: poll the app's database until it has
    db = wippy_app.db("app:db")
    rows = poll_until(lambda: db.query("SELECT id, words FROM notes WHERE words IS NOT NULL"),
                      message="the consumer to index the note")
    assert rows == [{"id": note_id, "words": 3}]
    listed = wippy_app.client.get("/notes").json()["notes"]
    assert listed == [{"id": note_id, "text": "three small words", "words": 3}]
    assert wippy_app.client.post("/notes", json={}).status_code == 400


def test_publish_to_a_queue_and_call_a_function(wippy_app):
    db = wippy_app.db("app:db")
    db.execute("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, text TEXT NOT NULL, words INTEGER)")
    db.execute("INSERT INTO notes (id, text) VALUES (?, ?)", ["n1", "a b c d"])
    wippy_app.queue("app:notes_queue").publish({"id": "n1"})
    assert poll_until(lambda: db.query("SELECT words FROM notes WHERE id = 'n1'")[0].get("words"),
                      message="the consumer") == 4
    assert wippy_app.call("app:add", 20, 22) == 42
    with pytest.raises(WippyError):
        wippy_app.call("app:add", 1, {})      # Lua raises: attempt to perform arithmetic
    states = {sid: s["state"] for sid, s in wippy_app.status().items()}
    assert states["app:gateway"] == "running" and states["app:indexer"] == "running"
    with pytest.raises(KeyError, match="no built entry 'app:nope'"):
        wippy_app.db("app:nope")


def test_every_start_has_fresh_data(tmp_path, notes_app):
    for n in (1, 2):
        with start_app(notes_app, tmp_path / f"run{n}") as app:
            db = app.db("app:db")
            db.execute("CREATE TABLE IF NOT EXISTS notes (id TEXT PRIMARY KEY, text TEXT NOT NULL, words INTEGER)")
            assert db.query("SELECT count(*) AS n FROM notes") == [{"n": 0}]
            assert app.client.post("/notes", json={"text": "x"}).status_code == 201
            assert (tmp_path / f"run{n}" / "data" / "notes.db").exists()
    assert not (notes_app / "data").exists()     # the project itself is never written to


def test_overrides_apply(tmp_path, notes_app):
    with start_app(notes_app, tmp_path / "app", ["app:db:file=:memory:"]) as app:
        assert app.client.post("/notes", json={"text": "in memory"}).status_code == 201
        assert not (tmp_path / "app" / "data" / "notes.db").exists()


def test_a_users_project_gets_the_fixture_from_the_entry_point(tmp_path, notes_app):
    """As a user would: pytest in their project, no conftest, the plugin found by itself."""
    import shutil
    project = tmp_path / "project"
    shutil.copytree(notes_app, project)
    (project / "tests").mkdir()
    (project / "tests" / "test_notes.py").write_text(textwrap.dedent('''
        def test_post_then_list(wippy_app):
            assert wippy_app.client.post("/notes", json={"text": "hi there"}).status_code == 201
            notes = wippy_app.client.get("/notes").json()["notes"]
            assert [n["text"] for n in notes] == ["hi there"]
    '''))
    (project / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests"], cwd=project, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_a_missing_lock_is_a_clear_failure(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text("def test_x(wippy_app):\n    pass\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           "tests"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "wippy_app: no wippy.lock in" in done.stdout
