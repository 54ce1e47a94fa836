"""The `queue` Lua module: publish, message() inside a consumer call, info (docs/modules/queue.md).

`publish` appends to the driver inside the host call itself, on whichever thread runs
the Lua state (the event loop's own state by default, a worker thread for an entry moved
off it), with no loop round trip; only a full queue falls back to `lib.await`, which
waits on the loop at most the queue's publish bound (docs/decisions.md D12). On a durable
driver (`queue.driver.sqlite`) it then waits, with `lib.await`, for the
message to be committed: a handler that answers 202 after `queue.publish`
has the message on disk.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ....registry.entry import qualify, split_id
from ....errors import INVALID, WippyError
from ....queue import ACK, NACK, Queue, new_message
from ....queue.errors import queue_not_found, released
from ..base import LuaModule

PENDING = "queue.pending"          # call.state key: the message waiting for room
COMMIT = "queue.commit"            # call.state key: the future of a durable publish
HEADER_TYPES = (str, bool, int, float)


def _invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


def _find_queue(call: Any, queue_id: str) -> Queue:
    # A bare name means "in the calling entry's namespace", as for config references
    # (docs/decisions.md D5).
    target = queue_id if ":" in queue_id else qualify(queue_id, split_id(call.entry_id)[0])
    queue = call.objects.get(target)
    if not isinstance(queue, Queue):
        raise queue_not_found(queue_id)
    return queue


def _clean_headers(raw: Any) -> dict[str, Any]:
    """String keys only; string/boolean/number values kept, anything else dropped."""
    if not isinstance(raw, dict):
        return {}
    return {k: v for k, v in raw.items() if isinstance(k, str) and isinstance(v, HEADER_TYPES)}


def _delivery(call: Any, token: int) -> Any:
    """The live delivery behind a Lua message object, or `queue.Message released`."""
    delivery = call.delivery
    if delivery is None or delivery.token != token or delivery.released:
        raise released()
    return delivery


class QueueModule(LuaModule):
    name = "queue"
    effects = ("publish", "msg_settle")  # see LuaModule.effects
    self_timed = ("queue.publish_wait",)   # see LuaModule.self_timed
    lua = resources.files(__package__).joinpath("queue.lua").read_text()

    def host_functions(self) -> dict[str, Any]:
        return {
            "publish": publish, "message": message, "info": info,
            "msg_id": msg_id, "msg_header": msg_header, "msg_headers": msg_headers,
            "msg_settle": msg_settle, "msg_attempt": msg_attempt,
        }

    def async_ops(self) -> dict[str, Any]:
        return {"queue.publish_wait": publish_wait, "queue.publish_commit": publish_commit}


def publish(call: Any, queue_id: Any, data: Any, headers: Any = None) -> Any:
    if not queue_id:
        raise _invalid("queue ID required")
    if data is None:
        raise _invalid("message data required")
    body = call.from_lua(data)
    if isinstance(body, (dict, list)) and not body:
        raise _invalid("message data cannot be empty")
    queue = _find_queue(call, queue_id)
    hdrs = _clean_headers(call.from_lua(headers)) if headers is not None else None
    message = new_message(body, hdrs)
    if queue.driver.durable:
        stored = queue.try_publish_durable(message)
        if stored is not True and stored is not False:
            call.state[COMMIT] = stored
            return "commit"
        if stored:
            return True
    elif queue.try_publish(message):
        return True
    # Full: keep the message for the waiting op (no second conversion or id).
    call.state[PENDING] = (queue, message)
    return False


async def publish_wait(call: Any) -> bool:
    pending = call.state.pop(PENDING, None)
    if pending is None:
        raise _invalid("no publish is waiting in this call")
    queue, message = pending
    # Self-timed (see QueueModule.self_timed): the driver stops at call.deadline,
    # so the engine arms no timer of its own for each wait.
    await queue.publish_message(message, call.deadline)
    return True


async def publish_commit(call: Any) -> bool:
    stored = call.state.pop(COMMIT, None)
    if stored is None:
        raise _invalid("no publish is waiting in this call")
    # The engine bounds this wait by the call's deadline; a commit takes milliseconds.
    await stored
    return True


def message(call: Any) -> Any:
    delivery = call.delivery
    if delivery is None:
        raise _invalid("no delivery found in context")
    return delivery.token, delivery.message.id


def msg_id(call: Any, token: int) -> str:
    return _delivery(call, token).message.id


def msg_header(call: Any, token: int, key: str) -> Any:
    return call.to_lua(_delivery(call, token).message.headers.get(key))


def msg_headers(call: Any, token: int) -> Any:
    return call.to_lua(dict(_delivery(call, token).message.headers))


def msg_settle(call: Any, token: int, decision: str) -> Any:
    _delivery(call, token).settle(ACK if decision == "ack" else NACK)
    return True


def msg_attempt(call: Any, token: int) -> int:
    return _delivery(call, token).attempt


def info(call: Any, queue_id: Any) -> Any:
    if not queue_id:
        raise _invalid("queue ID required")
    return call.to_lua(_find_queue(call, queue_id).info())
