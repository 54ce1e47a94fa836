"""ASGI types, and the one fast path our own server offers the app beside them.

Our protocol (protocol.py) puts its Exchange in the scope under FAST_PATH. An app may use
it to take a body that has fully arrived, and to hand over a whole response in one call,
instead of ASGI `receive`/`send` messages (measured: two awaits and two dicts less per
request). Under any other server, or when the fast path declines (returns None / False),
the app uses `receive`/`send` as usual; behaviour is the same either way. A middleware
that wraps `send` passes on `responses_through_send(scope)`, so no response skips it.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable, MutableMapping, Protocol

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

FAST_PATH = "wippy.fast"


class FastPath(Protocol):
    def take_body(self) -> bytes | None:
        """The whole request body if it has fully arrived and was not read, else None."""

    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        """Send a whole response at once; False (nothing sent) means use `send`."""


def fast_path(scope: Scope) -> FastPath | None:
    return scope.get(FAST_PATH)


class _BodyOnly:
    """The fast path minus `respond`: for a middleware that rewrites what is sent."""
    __slots__ = ("take_body",)

    def __init__(self, fast: FastPath):
        self.take_body = fast.take_body

    def respond(self, status: int, headers: Any, body: bytes) -> bool:
        return False


def responses_through_send(scope: Scope) -> Scope:
    """The scope to pass on from a middleware that wraps `send`: the response must go
    through that `send`, so the fast path may still hand over the body but never
    sends a response itself."""
    fast = scope.get(FAST_PATH)
    return scope if fast is None else {**scope, FAST_PATH: _BodyOnly(fast)}
