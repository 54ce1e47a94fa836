"""The `http_client` Lua module (Wippy docs: en/lua/http/client.md).

Each request is one async op: the Lua coroutine yields, the loop runs the
request through transport.py, and the response comes back as a table. Every
request is bounded by its `timeout` (default 30 s), the call's remaining budget,
a connect timeout (10 s), `max_response_body` (default 32 MiB), 10 redirects,
and the operator's allow/deny policy (policy.py). A streamed body stays open
until `stream:close()` or the end of the call.
"""
from __future__ import annotations

import asyncio
import itertools
import re
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus, unquote_plus

from ....errors import INVALID, WippyError
from ..base import LuaModule
from ..binary import ensure_room

if TYPE_CHECKING:  # pragma: no cover
    import aiohttp

    from . import options

# aiohttp (and so options.py and transport.py) is imported on the first request,
# not at start: it costs ~160 ms to import, which every `wippy run` and `wippy check`
# would pay even when no entry declares http_client.

MARGIN = 0.05          # seconds: answer with our own timeout error just before the budget ends
MAX_READ = 1 << 20
MAX_BATCH = 100
_ids = itertools.count(1)
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _deadline(call: Any, req: "options.Request") -> float:
    now = asyncio.get_running_loop().time()
    return min(now + req.timeout, call.deadline - MARGIN)


async def _perform(call: Any, req: "options.Request") -> dict:
    import aiohttp

    from . import transport
    deadline = _deadline(call, req)
    what = f"{req.method} {req.url}"
    resp = None
    try:
        async with asyncio.timeout_at(deadline):
            resp = await transport.open_response(req, deadline)
            out = transport.meta(resp)
            if req.stream:
                handle = next(_ids)
                streams = call.state.setdefault("http_client.streams", {})
                if not streams:
                    def close_all() -> None:
                        for r in streams.values():
                            r.close()
                    call.defer(close_all)
                streams[handle] = resp
                out.update(body_size=-1, stream=handle)
                resp = None                      # now owned by the stream
                return out
            body = b"" if req.method == "HEAD" else await transport.read_limited(
                resp, req.max_body, what)
            ensure_room(call, len(body))
            out.update(body=body, body_size=len(body))
            return out
    except WippyError:
        raise
    except TimeoutError:
        raise transport.failure(f"{what}: request timed out") from None
    except (aiohttp.ClientError, OSError, ValueError, RuntimeError) as exc:
        raise transport.translate(exc, req) from None
    finally:
        if resp is not None:
            # A body read to the end leaves a connection the pool can reuse; one cut
            # short (limit, timeout, error) is closed rather than drained.
            resp.release() if resp.content.at_eof() else resp.close()


async def request(call: Any, method: Any = None, url: Any = None, opts: Any = None) -> dict:
    from . import options
    return await _perform(call, options.build(method, url, opts))


async def batch(call: Any, requests: Any = None) -> dict:
    from . import options, transport
    if not isinstance(requests, list) or not requests:
        raise WippyError("requests must be a non-empty array of {method, url, options?}", INVALID,
                         retryable=False)
    if len(requests) > MAX_BATCH:
        raise WippyError(f"at most {MAX_BATCH} requests per batch", INVALID, retryable=False)

    async def one(item: Any) -> dict:
        if not isinstance(item, list) or len(item) < 2:
            raise WippyError("each request must be {method, url, options?}", INVALID, retryable=False)
        req = options.build(item[0], item[1], item[2] if len(item) > 2 else None)
        if req.stream:
            raise WippyError("stream = true is not supported in a batch", INVALID, retryable=False)
        return await _perform(call, req)

    results = await asyncio.gather(*(one(r) for r in requests), return_exceptions=True)
    responses, errors = {}, {}
    for i, res in enumerate(results, 1):
        if isinstance(res, WippyError):
            errors[i] = res.to_plain()
        elif isinstance(res, BaseException):
            errors[i] = transport.failure(f"request {i}: {res!r}").to_plain()
        else:
            responses[i] = res
    return {"responses": responses, "errors": errors}


def _stream(call: Any, handle: Any) -> "aiohttp.ClientResponse | None":
    return call.state.get("http_client.streams", {}).get(handle)


async def read(call: Any, handle: Any = None, n: Any = None) -> bytes | None:
    import aiohttp

    from . import transport
    resp = _stream(call, handle)
    if resp is None:
        raise WippyError("stream is closed", INVALID, retryable=False)
    size = n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else 65536
    try:
        chunk = await resp.content.read(min(size, MAX_READ))
    except (aiohttp.ClientError, OSError) as exc:
        raise transport.failure(f"reading the response stream: {exc}") from None
    return chunk or None


async def close(call: Any, handle: Any = None) -> bool:
    resp = call.state.get("http_client.streams", {}).pop(handle, None)
    if resp is not None:
        resp.close()
    return True


def encode_uri(call: Any, text: Any = None) -> str:
    if not isinstance(text, str):
        raise WippyError("input must be a string", INVALID, retryable=False)
    return quote_plus(text, safe="~")


def decode_uri(call: Any, text: Any = None) -> str:
    if not isinstance(text, str):
        raise WippyError("input must be a string", INVALID, retryable=False)
    bad = _BAD_ESCAPE.search(text)
    if bad:
        raise WippyError(f"invalid URL escape {text[bad.start():bad.start() + 3]!r}", INVALID,
                         retryable=False)
    return unquote_plus(text, errors="strict")


class HttpClientModule(LuaModule):
    name = "http_client"
    effects = ("",)   # a request may change something on the other side
    lua = resources.files(__package__).joinpath("http_client.lua").read_text()

    def host_functions(self):
        return {"encode_uri": encode_uri, "decode_uri": decode_uri}

    def async_ops(self):
        return {"http_client.request": request, "http_client.batch": batch,
                "http_client.read": read, "http_client.close": close}
