"""`wippy run` as a real subprocess on the small apps of tests/terminal."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

HERE = Path(__file__).resolve().parent
TIMEOUT = 60


def make_app(tmp: Path, name: str = "cliapp", index: str | None = None) -> Path:
    """A copy of tests/terminal/<name> (or just an _index.yaml), after `wippy init`."""
    project = tmp / name
    if index is None:
        shutil.copytree(HERE / name / "src", project / "src")
    else:
        (project / "src").mkdir(parents=True)
        (project / "src" / "_index.yaml").write_text(index)
    subprocess.run([sys.executable, "-m", "wippy", "init"], cwd=project, check=True,
                   capture_output=True, timeout=TIMEOUT)
    return project


def wippy(project: Path, *args: str, stdin: bytes | int | None = b"",
          timeout: float = TIMEOUT) -> subprocess.CompletedProcess:
    """`wippy <args>` to completion; stdout and stderr kept apart, as bytes."""
    kw = {"input": stdin} if isinstance(stdin, bytes) else {"stdin": stdin}
    return subprocess.run([sys.executable, "-m", "wippy", *args], cwd=project,
                          capture_output=True, timeout=timeout, **kw)


class Running:
    """`wippy <args>` in the background with a stdin pipe; stdout collected as it comes."""

    def __init__(self, project: Path, *args: str):
        self.proc = subprocess.Popen([sys.executable, "-m", "wippy", *args], cwd=project,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.out = bytearray()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        while True:
            data = os.read(self.proc.stdout.fileno(), 4096)
            if not data:
                return
            self.out += data

    def finish(self, timeout: float = TIMEOUT) -> tuple[int, bytes, bytes]:
        err = self.proc.stderr.read()
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code, bytes(self.out), err

    def kill(self) -> None:
        """Kill it if still running, and close the pipes (call in a finally)."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._reader.join(5)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            pipe.close()
