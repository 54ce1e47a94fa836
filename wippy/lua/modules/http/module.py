"""The `http` Lua module, server side (docs/modules/http.md; docs/decisions.md: D4, D8).

Host functions read and write the per-request `HttpCall` in `call.http`
(set by http.endpoint); they run on the Lua thread with no loop round trip.
Only `flush()` (and `write_event`, which flushes) awaits the loop to send.
Objects returned by `http.request()`/`http.response()` carry their request's
token and stop working once that request is over.
"""
from __future__ import annotations

from importlib import resources
from typing import Any

from ..json import codec as jsonx
from ....errors import INTERNAL, INVALID, WippyError
from ..base import LuaModule, LuaRaise

NO_CONTEXT = "no HTTP request context found"


def _state(call: Any, token: int) -> Any:
    h = call.http
    if h is None or h.token != token:
        raise WippyError("this http object belongs to a request that is no longer active; "
                         "call http.request()/http.response() in the handler", INVALID)
    return h


def context(call: Any, opts: Any) -> Any:
    h = call.http
    if h is None:
        raise WippyError(NO_CONTEXT, INTERNAL)
    if opts is not None:
        plain = call.from_lua(opts)
        limit = plain.get("max_body") if isinstance(plain, dict) else None
        if isinstance(limit, (int, float)) and not isinstance(limit, bool) and limit > 0:
            call.state["http.max_body"] = int(limit)
    return h.token


# ---------------------------------------------------------------- request
def req_method(call: Any, token: int) -> Any:
    return _state(call, token).method


def req_path(call: Any, token: int) -> Any:
    return _state(call, token).path


def req_host(call: Any, token: int) -> Any:
    return _state(call, token).host


def req_remote_addr(call: Any, token: int) -> Any:
    return _state(call, token).remote_addr


def req_query(call: Any, token: int, key: str) -> Any:
    h = _state(call, token)
    if key == "":
        raise WippyError("query key cannot be empty", INVALID)
    return h.query(key)


def req_query_params(call: Any, token: int) -> Any:
    return call.to_lua(_state(call, token).query_params())


def req_header(call: Any, token: int, name: str) -> Any:
    h = _state(call, token)
    if name == "":
        raise WippyError("header key cannot be empty", INVALID)
    return h.header(name)


def req_headers(call: Any, token: int) -> Any:
    return call.to_lua(_state(call, token).header_map())


def req_content_type(call: Any, token: int) -> Any:
    return _state(call, token).content_type


def req_content_length(call: Any, token: int) -> Any:
    return _state(call, token).content_length


def _body(call: Any, h: Any) -> bytes:
    limit = call.state.get("http.max_body")
    if limit is not None and len(h.body) > limit:
        raise WippyError("request body too large", INVALID)
    return h.body


def req_body(call: Any, token: int) -> Any:
    return _body(call, _state(call, token))


def req_body_json(call: Any, token: int) -> Any:
    body = _body(call, _state(call, token))
    try:
        value = jsonx.decode(body)
    except ValueError as exc:
        raise WippyError(f"invalid JSON: {exc}", INVALID) from None
    if value is None:
        return None  # JSON null → (nil, nil)
    return call.to_lua(value)


def req_has_body(call: Any, token: int) -> Any:
    return len(_state(call, token).body) > 0


def req_accepts(call: Any, token: int, content_type: str) -> Any:
    h = _state(call, token)
    if content_type == "":
        raise WippyError("content type cannot be empty", INVALID)
    return h.accepts(content_type)


def req_is_content_type(call: Any, token: int, content_type: str) -> Any:
    h = _state(call, token)
    if content_type == "":
        raise WippyError("content type cannot be empty", INVALID)
    return h.is_content_type(content_type)


def req_param(call: Any, token: int, name: str) -> Any:
    h = _state(call, token)
    if name == "":
        raise WippyError("parameter name cannot be empty", INVALID)
    return h.params.get(name)


def req_params(call: Any, token: int) -> Any:
    return call.to_lua(dict(_state(call, token).params))


# ---------------------------------------------------------------- response
def res_set_status(call: Any, token: int, code: Any) -> None:
    h = _state(call, token)
    if isinstance(code, float):
        if not code.is_integer():
            raise LuaRaise("bad argument #1 to 'set_status' (status code must be an integer)")
        code = int(code)
    if not 100 <= code <= 599:
        raise LuaRaise("bad argument #1 to 'set_status' (invalid status code "
                       "(must be between 100 and 599))")
    h.set_status(code)


def res_set_header(call: Any, token: int, name: str, value: str) -> None:
    if name == "":
        raise LuaRaise("bad argument #1 to 'set_header' (header key cannot be empty)")
    _state(call, token).set_header(name, value)


def res_set_content_type(call: Any, token: int, value: str) -> None:
    _state(call, token).set_content_type(value)


def _bytes(data: Any) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


def res_write(call: Any, token: int, data: Any) -> None:
    _state(call, token).write(_bytes(data))


def _encode(call: Any, value: Any) -> bytes:
    try:
        return jsonx.encode(call.from_lua(value)).encode("utf-8")
    except ValueError as exc:  # includes the converter's depth/cycle errors
        raise WippyError(f"JSON encode error: {exc}", INVALID) from None


def res_write_json(call: Any, token: int, value: Any) -> None:
    h = _state(call, token)
    h.write_json(_encode(call, value))


def res_write_binary(call: Any, token: int, mapped: str) -> None:
    """write() of bytes that are not UTF-8 text: http.lua maps each byte 0x80-0xFF to
    U+0080-U+00FF, which Latin-1 turns back into the very same bytes."""
    _state(call, token).write(mapped.encode("latin-1"))


def res_write_json_text(call: Any, token: int, text: str) -> None:
    """write_json() of a value already encoded in Lua (lib.json_text, jsonx's rules)."""
    _state(call, token).write_json(_bytes(text))


def res_set_transfer(call: Any, token: int, mode: str) -> None:
    _state(call, token).set_transfer(mode)


def res_write_event(call: Any, token: int, name: str, data: Any) -> None:
    h = _state(call, token)
    if "\n" in name or "\r" in name:
        raise WippyError("event name must not contain line breaks", INVALID)
    h.write_event(name, _encode(call, data))


async def flush(call: Any) -> None:
    h = call.http
    if h is None:
        raise WippyError(NO_CONTEXT, INTERNAL)
    await h.flush()


class HttpModule(LuaModule):
    name = "http"
    effects = ("res_", "flush")  # see LuaModule.effects
    lua = resources.files(__package__).joinpath("http.lua").read_text()

    def host_functions(self) -> dict[str, Any]:
        return {
            "context": context,
            "req_method": req_method, "req_path": req_path, "req_host": req_host,
            "req_remote_addr": req_remote_addr, "req_query": req_query,
            "req_query_params": req_query_params, "req_header": req_header,
            "req_headers": req_headers, "req_content_type": req_content_type,
            "req_content_length": req_content_length, "req_body": req_body,
            "req_body_json": req_body_json, "req_has_body": req_has_body,
            "req_accepts": req_accepts, "req_is_content_type": req_is_content_type,
            "req_param": req_param, "req_params": req_params,
            "res_set_status": res_set_status, "res_set_header": res_set_header,
            "res_set_content_type": res_set_content_type, "res_write": res_write,
            "res_write_json": res_write_json, "res_write_json_text": res_write_json_text,
            "res_write_binary": res_write_binary,
            "res_set_transfer": res_set_transfer,
            "res_write_event": res_write_event,
        }

    def async_ops(self) -> dict[str, Any]:
        return {"http.flush": flush}
