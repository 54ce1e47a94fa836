"""uvicorn keeps the server (listening, TLS, the Date tick, graceful shutdown) and our own
protocol class (wippy/http/protocol.py) serves the connections. That leans on uvicorn
internals; pyproject.toml pins the versions they were checked against, and these tests fail
when an installed uvicorn leaves the pin or changes one of those internals."""
from __future__ import annotations

import inspect
import re
from importlib import metadata

import uvicorn
import uvicorn.protocols.utils as uv_utils
import uvicorn.server as uv_server


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in re.findall(r"\d+", text)[:3])


def test_installed_uvicorn_is_inside_the_pin():
    spec = next(r for r in metadata.requires("wippy") if r.startswith("uvicorn"))
    low = re.search(r">=\s*([\d.]+)", spec)
    high = re.search(r"<\s*([\d.]+)", spec)
    assert low and high, f"uvicorn must be pinned to a range in pyproject.toml, got {spec!r}"
    installed = _version(uvicorn.__version__)
    assert _version(low.group(1)) <= installed < _version(high.group(1)), (spec, uvicorn.__version__)


def test_the_internals_our_protocol_relies_on_are_there():
    # Server.startup builds each connection's protocol with these keywords (HttpProtocol.__init__).
    startup = inspect.getsource(uv_server.Server.startup)
    assert "server_state=self.server_state" in startup and "app_state=" in startup
    assert "sockets" in inspect.signature(uv_server.Server.startup).parameters
    # HttpServer drives these itself instead of Server.serve() (no uvicorn signal handling).
    for name in ("main_loop", "shutdown", "should_exit", "server_state"):
        assert hasattr(uv_server.Server(uvicorn.Config(app=None)), name), name
    assert "self.lifespan_class = " in inspect.getsource(uvicorn.Config.load)
    state = uv_server.ServerState()
    assert isinstance(state.connections, set) and isinstance(state.tasks, set)
    # Config(http=<a class>) uses the class as is.
    assert "self.http_protocol_class = self.http" in inspect.getsource(uvicorn.Config.load)
    for name in ("get_local_addr", "get_remote_addr", "is_ssl"):
        assert callable(getattr(uv_utils, name)), name
