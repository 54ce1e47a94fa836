"""Responses the runtime itself sends: 404, 405, 204, and JSON errors with a request id.

Error bodies are generic: a stable code, a short message and a request id that
also appears in the log line carrying the detail. No traceback, Lua source,
SQL or file path ever reaches the client.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

TEXT_PLAIN = b"text/plain; charset=utf-8"
APPLICATION_JSON = b"application/json"

# Go's http.NotFound / http.Error bodies and headers, prebuilt once.
_NOT_FOUND_BODY = b"404 page not found\n"
_NOT_FOUND_START = {
    "type": "http.response.start", "status": 404,
    "headers": [(b"content-type", TEXT_PLAIN), (b"x-content-type-options", b"nosniff"),
                (b"content-length", str(len(_NOT_FOUND_BODY)).encode())],
}
_NOT_FOUND_END = {"type": "http.response.body", "body": _NOT_FOUND_BODY, "more_body": False}
_NOT_ALLOWED_BODY = b"Method Not Allowed\n"
_EMPTY_END = {"type": "http.response.body", "body": b"", "more_body": False}


async def send_not_found(send: Any) -> None:
    await send(_NOT_FOUND_START)
    await send(_NOT_FOUND_END)


async def send_not_allowed(send: Any, allow: str) -> None:
    await send({"type": "http.response.start", "status": 405,
                "headers": [(b"allow", allow.encode("latin-1")),
                            (b"content-type", TEXT_PLAIN),
                            (b"x-content-type-options", b"nosniff"),
                            (b"content-length", str(len(_NOT_ALLOWED_BODY)).encode())]})
    await send({"type": "http.response.body", "body": _NOT_ALLOWED_BODY, "more_body": False})


async def send_no_content(send: Any, headers: list[tuple[bytes, bytes]] | None = None) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": headers or []})
    await send(_EMPTY_END)


def new_request_id() -> str:
    return uuid.uuid4().hex


def error_body(code: str, message: str, request_id: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message,
                                 "request_id": request_id}}).encode()


async def send_error(send: Any, status: int, code: str, message: str, request_id: str,
                     close: bool = False, retry_after: int | None = None) -> None:
    """A JSON error: {"error": {"code", "message", "request_id"}} plus X-Request-Id."""
    body = error_body(code, message, request_id)
    headers = [(b"content-type", APPLICATION_JSON),
               (b"content-length", str(len(body)).encode()),
               (b"x-request-id", request_id.encode("latin-1"))]
    if close:  # the client may still be sending: do not reuse the connection
        headers.append((b"connection", b"close"))
    if retry_after is not None:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


# ---------------------------------------------------------------- content sniffing
# A small subset of Go's http.DetectContentType, for write() without a Content-Type.
_HTML_PREFIXES = (b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1",
                  b"<div", b"<font", b"<table", b"<a", b"<style", b"<title", b"<b",
                  b"<body", b"<br", b"<p", b"<!--")
_BINARY = bytes([*range(0x00, 0x09), 0x0B, 0x0E, 0x0F, *range(0x10, 0x1B), *range(0x1C, 0x20)])


def sniff(body: bytes) -> bytes:
    head = body[:512]
    lead = head.lstrip(b"\t\n\x0c\r ")
    low = lead[:14].lower()
    for prefix in _HTML_PREFIXES:
        if low.startswith(prefix) and len(lead) > len(prefix) and lead[len(prefix)] in b" >":
            return b"text/html; charset=utf-8"
    if low.startswith(b"<?xml"):
        return b"text/xml; charset=utf-8"
    if len(head.translate(None, _BINARY)) == len(head):
        return TEXT_PLAIN
    return b"application/octet-stream"
