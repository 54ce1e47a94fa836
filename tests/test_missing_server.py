"""A server package that is missing: the tests that need it skip with one line naming the
install command on a developer machine, and fail the run under CI=true."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


@pytest.mark.parametrize("ci, outcome, code", [("", "1 skipped", 0), ("true", "1 error", 1)])
def test_missing_postgres_skips_or_fails_under_ci(tmp_path, ci, outcome, code):
    # A test module that asks for the session server, with bin_dir() pointing nowhere.
    (tmp_path / "conftest.py").write_text(textwrap.dedent("""
        import tests.postgres_server as servers
        servers.bin_dir = lambda: None
        from tests.conftest import postgres_server  # noqa: F401
    """))
    (tmp_path / "test_needs_pg.py").write_text("def test_x(postgres_server):\n    pass\n")
    out = subprocess.run(["env", f"CI={ci}", sys.executable, "-m", "pytest", "-q", "-rs",
                          "-p", "no:cacheprovider", str(tmp_path)],
                         capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).parents[1])
    assert outcome in out.stdout and out.returncode == code, out.stdout + out.stderr
    assert "apt-get install -y postgresql" in out.stdout, out.stdout
