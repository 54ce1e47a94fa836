"""A private RabbitMQ node for the tests: the broker in the foreground on a temp dir and free
loopback ports, with its own epmd, so both PIDs are known and a stop leaves nothing behind.

Installs nothing: it uses the Debian package's /usr/lib/rabbitmq/bin/rabbitmq-server (installed by
`.ci/run`). The Debian /usr/sbin wrapper is skipped because it would `su rabbitmq` and use
/var/lib/rabbitmq. Without an epmd of our own, erl would start a daemonised epmd that outlives the
broker. Timings on this machine: start to a working AMQP handshake 3.5-6 s, SIGTERM stop 2-5 s,
so the tests start one node per session and give each test its own vhost.

Used by the session fixture in tests/conftest.py, and by hand:

    python -m tests.rabbitmq_server start DIR     # prints the amqp:// URL, stays in the foreground
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
CTL = "/usr/lib/rabbitmq/bin/rabbitmqctl"


def installed() -> bool:
    return os.path.exists(SERVER)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class RabbitServer:
    directory: str
    port: int = 0
    host: str = "127.0.0.1"
    vhosts: int = 0  # how many spare vhosts (v1..vN) to create at boot, for per-test isolation
    # PEM files {"ca", "cert", "key"}: also listen for amqps:// on tls_port (the plain
    # listener stays: readiness is checked through it).
    tls: dict | None = None
    tls_port: int = 0
    procs: list = field(default_factory=list)

    def __post_init__(self) -> None:
        if not installed():
            raise RuntimeError("RabbitMQ is not installed: apt-get install -y rabbitmq-server")
        self.port = self.port or free_port()
        self.dist_port = free_port()
        self.epmd_port = free_port()
        self.node = f"wtest{self.port}@localhost"

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@{self.host}:{self.port}/"

    def _env(self) -> dict:
        t = self.directory
        env = dict(os.environ)
        env.update({
            "HOME": t,  # its own .erlang.cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": self.host,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": os.path.join(t, "mnesia"),
            "RABBITMQ_LOG_BASE": os.path.join(t, "log"),
            "RABBITMQ_CONFIG_FILE": os.path.join(t, "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": os.path.join(t, "enabled_plugins"),
            "RABBITMQ_PID_FILE": os.path.join(t, "rabbit.pid"),
            "RABBITMQ_LOGS": os.path.join(t, "log", "rabbit.log"),
        })
        return env

    def start(self, timeout: float = 60) -> None:
        t = self.directory
        os.makedirs(os.path.join(t, "mnesia"), exist_ok=True)
        os.makedirs(os.path.join(t, "log"), exist_ok=True)
        with open(os.path.join(t, "enabled_plugins"), "w") as f:
            f.write("[].\n")  # no management plugin: a faster boot
        with open(os.path.join(t, "rabbitmq.conf"), "w") as f:
            f.write(f"listeners.tcp.default = {self.host}:{self.port}\nloopback_users = none\n"
                    f"load_definitions = {self._definitions()}\n")
            if self.tls:
                self.tls_port = self.tls_port or free_port()
                f.write(f"listeners.ssl.default = {self.host}:{self.tls_port}\n"
                        f"ssl_options.cacertfile = {self.tls['ca']}\n"
                        f"ssl_options.certfile = {self.tls['cert']}\n"
                        f"ssl_options.keyfile = {self.tls['key']}\n"
                        "ssl_options.verify = verify_none\n"
                        "ssl_options.fail_if_no_peer_cert = false\n")
        env = self._env()
        # Our own epmd in the foreground, started first; the broker registers with it.
        with open(os.path.join(t, "log", "epmd"), "w") as log:
            self.procs.append(subprocess.Popen(
                ["epmd", "-port", str(self.epmd_port), "-address", "127.0.0.1"],
                env=env, stdout=log, stderr=subprocess.STDOUT))
        with open(os.path.join(t, "log", "stdout"), "w") as log:
            # Its own process group: a broker that ignores SIGTERM is killed with its VM.
            self.procs.append(subprocess.Popen([SERVER], env=env, stdout=log,
                                               stderr=subprocess.STDOUT,
                                               start_new_session=True))
        try:
            asyncio.run(self._wait_ready(timeout))
        except BaseException:
            self.stop()
            raise

    def _definitions(self) -> str:
        """Definitions loaded at boot: the guest user and the vhosts, created without running
        rabbitmqctl (each call boots an Erlang VM, 1-2 s)."""
        salt = os.urandom(4)
        password_hash = base64.b64encode(salt + hashlib.sha256(salt + b"guest").digest()).decode()
        names = ["/"] + [f"v{i}" for i in range(1, self.vhosts + 1)]
        defs = {
            "users": [{"name": "guest", "password_hash": password_hash, "tags": ["administrator"],
                       "hashing_algorithm": "rabbit_password_hashing_sha256"}],
            "vhosts": [{"name": n} for n in names],
            "permissions": [{"user": "guest", "vhost": n, "configure": ".*", "write": ".*",
                             "read": ".*"} for n in names],
        }
        path = os.path.join(self.directory, "definitions.json")
        with open(path, "w") as f:
            json.dump(defs, f)
        return path

    def next_vhost_url(self) -> str:
        """A spare vhost no one has had yet (tests share one node, each gets its own vhost)."""
        self.handed = getattr(self, "handed", 0) + 1
        if self.handed > self.vhosts:
            raise RuntimeError(f"out of spare vhosts: the node was started with {self.vhosts}")
        return self.vhost_url(self.handed)

    def vhost_url(self, index: int) -> str:
        """The URL of spare vhost `index` (1..vhosts)."""
        if not 1 <= index <= self.vhosts:
            raise RuntimeError(f"vhost {index} out of range: the node was started with "
                               f"{self.vhosts} spare vhosts")
        return f"amqp://guest:guest@{self.host}:{self.port}/v{index}"

    async def _wait_ready(self, timeout: float) -> None:
        # A real AMQP handshake: `rabbitmqctl await_startup` would boot another Erlang VM (1-2 s).
        import aiormq
        quiet = logging.getLogger("aiormq")  # it logs every refused connect while the node boots
        level, quiet.level = quiet.level, logging.CRITICAL
        try:
            await self._poll_ready(aiormq, timeout)
        finally:
            quiet.level = level

    async def _poll_ready(self, aiormq, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            if self.procs[-1].poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited ({self.procs[-1].returncode}); "
                                   f"see {self.directory}/log/stdout")
            try:
                conn = await aiormq.connect(self.url)
                await conn.close()
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.1)

    def ctl(self, *args: str) -> str:
        out = subprocess.run([CTL, "-n", self.node, *args], env=self._env(), capture_output=True,
                             text=True, timeout=60)
        if out.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {out.stderr.strip()}")
        return out.stdout

    def stop(self, timeout: float = 30) -> None:
        """SIGTERM the broker (its script runs a graceful VM stop), then our epmd; wait for both."""
        for proc in reversed(self.procs):  # broker first: epmd must outlive it
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    if proc is self.procs[-1]:
                        os.killpg(proc.pid, signal.SIGKILL)  # the script and its beam.smp
                    else:
                        proc.kill()
                    proc.wait()
        self.procs.clear()


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "start":
        print(__doc__, file=sys.stderr)
        return 2
    # Handlers, not a blocked signal mask: the broker and epmd would inherit the mask and
    # then ignore the SIGTERM that stop() sends them.
    stopping = []
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.append(True))
    server = RabbitServer(argv[1])
    try:
        server.start()
        print(server.url, flush=True)
        while not stopping:
            signal.pause()
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
