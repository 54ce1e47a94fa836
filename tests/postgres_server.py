"""A private PostgreSQL for the tests: initdb + pg_ctl on a temp dir and a free loopback port.

Installs nothing: it uses the Debian package's binaries (/usr/lib/postgresql/<ver>/bin, installed
by `.ci/run`). initdb and postgres refuse to run as root, so as root the server runs as the
unprivileged `postgres` user the package creates (or `nobody`). Timings on this machine: initdb +
start about 0.8 s, restart 0.2 s, fast stop 0.1 s, so one server per test session is cheap.

Used by the session fixture in tests/conftest.py, and by hand:

    python -m tests.postgres_server start DIR [PORT]   # prints host port
    python -m tests.postgres_server stop DIR
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass


def bin_dir() -> str | None:
    """The newest installed PostgreSQL's bin directory, or None when the package is absent."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                  key=lambda d: int(d.split("/")[-2]) if d.split("/")[-2].isdigit() else 0)
    dirs = [d for d in dirs if os.path.exists(os.path.join(d, "pg_ctl"))]
    return dirs[-1] if dirs else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server_user() -> str | None:
    """The user to run the server as: None when we are not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists")


@dataclass
class PostgresServer:
    directory: str
    port: int = 0
    host: str = "127.0.0.1"
    user: str = "postgres"      # the superuser initdb creates (-U postgres), trust auth
    password: str = "unused"    # trust auth ignores it; the kind requires one, as Wippy's does

    def __post_init__(self) -> None:
        found = bin_dir()
        if found is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
        self.bin = found
        self.data = os.path.join(self.directory, "data")
        self.run_as = _server_user()
        if not self.port:
            self.port = free_port()

    def _run(self, *argv: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = list(argv)
        if self.run_as is not None:
            cmd = ["runuser", "-u", self.run_as, "--"] + cmd
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and out.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({out.returncode}): {out.stderr.strip()}")
        return out

    def init(self) -> None:
        os.makedirs(self.directory, exist_ok=True)
        if self.run_as is not None:
            shutil.chown(self.directory, user=self.run_as)
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", self.user,
                  "-A", "trust", "-E", "UTF8", "--no-sync", "--no-instructions")

    def start(self) -> None:
        # fsync off: throw-away test data; the socket dir is the temp dir, not /var/run.
        opts = (f"-c listen_addresses={self.host} -p {self.port} -k {self.directory} "
                "-c max_connections=200 -c fsync=off -c synchronous_commit=off "
                "-c full_page_writes=off")
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                  "-l", os.path.join(self.directory, "server.log"), "-o", opts, "-w", "-t", "60",
                  "start")

    def stop(self, mode: str = "fast") -> None:
        """`fast` rolls back and disconnects clients; `immediate` is a crash."""
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", mode, "-w", "stop",
                  check=False)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = self._run(os.path.join(self.bin, "psql"), "-h", self.directory, "-p", str(self.port),
                        "-U", self.user, "-d", database, "-v", "ON_ERROR_STOP=1", "-Atc", sql)
        return out.stdout

    def create_database(self, name: str) -> None:
        self.psql(f'CREATE DATABASE "{name}"')

    def dsn(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/{database}"


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] == "start":
        server = PostgresServer(argv[1], int(argv[2]) if len(argv) > 2 else 0)
        server.init()
        server.start()
        print(server.host, server.port)
    else:
        PostgresServer(argv[1], 1).stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
