"""The notes app (tests/dev/notes_app) copied into a fresh project directory."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent / "notes_app"


def wippy(cwd: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    """`wippy ARGS` as a real subprocess in `cwd`."""
    return subprocess.run([sys.executable, "-m", "wippy", *args], cwd=cwd, text=True,
                          capture_output=True, timeout=timeout)


@pytest.fixture
def notes_project(tmp_path: Path) -> Path:
    project = tmp_path / "notes"
    shutil.copytree(APP / "src", project / "src")
    (project / "data").mkdir()
    return project


@pytest.fixture(scope="session")
def notes_app(tmp_path_factory) -> Path:
    """The notes app as a project with its lock (lock files are not kept in git)."""
    from wippy.registry.lockfile import init_lock
    project = tmp_path_factory.mktemp("notes_app")
    shutil.copytree(APP / "src", project / "src")
    init_lock(project / "wippy.lock", "./src", ".wippy")
    return project
