"""`env.storage.file`: `KEY=VALUE` lines in a file, read on every access.

The format is Wippy's: blank lines and lines starting with `#` are skipped,
text after `#` on a value line is a comment, keys and values are trimmed,
quotes and escapes have no special meaning. A write rewrites the file through
a temporary file and a rename, so a reader never sees half a file; other
lines (comments included) are kept, the key's line is replaced in place or
appended.
"""
from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from ..errors import INTERNAL, WippyError
from .errors import NotFound


def parse_line(text: str) -> tuple[str, str] | None:
    """`KEY = value # note` -> ("KEY", "value"); None for blanks, comments and junk."""
    line = text.strip()
    if not line or line.startswith("#"):
        return None
    line = line.split("#", 1)[0].strip()
    key, sep, value = line.partition("=")
    if not sep:
        return None
    return key.strip(), value.strip()


class FileStorage:
    def __init__(self, path: str | Path, auto_create: bool = False, file_mode: int = 0o644,
                 dir_mode: int = 0o755) -> None:
        self.path = Path(path)
        self.auto_create = auto_create
        self.file_mode = file_mode or 0o644
        self.dir_mode = dir_mode or 0o755
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the file (and its directories) when missing; `auto_create` only."""
        if self.path.exists():
            return
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=self.dir_mode)
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.file_mode)
        os.close(fd)
        os.chmod(self.path, self.file_mode)  # the umask must not narrow the declared mode

    def _lines(self) -> list[str] | None:
        try:
            return self.path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            raise WippyError(f"cannot read env file {self.path}: {exc}", INTERNAL, False) from exc

    def get(self, key: str) -> str:
        with self._lock:
            for line in self._lines() or ():
                pair = parse_line(line)
                if pair and pair[0] == key:
                    return pair[1]
        raise NotFound(variable=key)

    def list(self) -> dict[str, str]:
        with self._lock:
            return dict(p for p in map(parse_line, self._lines() or ()) if p)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            try:
                if self.auto_create:
                    self.ensure()
                lines = self._lines()
                if lines is None:
                    raise WippyError(f"env file {self.path} does not exist (create it, or set "
                                     "auto_create: true)", INTERNAL, False)
                self._write(_replace(lines, key, value))
            except OSError as exc:
                raise WippyError(f"cannot write env file {self.path}: {exc}", INTERNAL,
                                 False) from exc

    def _write(self, lines: list[str]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write("".join(f"{line}\n" for line in lines))
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, self.file_mode)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def _replace(lines: list[str], key: str, value: str) -> list[str]:
    out, done = [], False
    for line in lines:
        pair = parse_line(line)
        if pair and pair[0] == key:
            if not done:
                out.append(f"{key}={value}")
                done = True
            continue  # drop later duplicates: one line per key after a write
        out.append(line)
    if not done:
        out.append(f"{key}={value}")
    return out
