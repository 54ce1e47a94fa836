"""Request options from Lua (`headers`, `query`, `body`, `form`, `files`, `cookies`,
`auth`, `timeout`, `stream`, `max_response_body`, `tls`) as one checked Request."""
from __future__ import annotations

import base64
import ssl
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp

from ....common.duration import parse_nanoseconds
from ....errors import INVALID, WippyError
from ..binary import to_bytes

DEFAULT_TIMEOUT = 30.0                 # seconds; the call's budget cuts it shorter
CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_BODY = 32 << 20            # 32 MiB: half the default Lua state memory
MAX_REDIRECTS = 10                     # Go's net/http default
KNOWN = {"headers", "body", "body_mapped", "query", "form", "files", "cookies", "auth",
         "timeout", "stream", "max_response_body", "unix_socket", "tls", "overlay_network"}


def invalid(message: str) -> WippyError:
    return WippyError(message, INVALID, retryable=False)


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    data: Any = None
    timeout: float = DEFAULT_TIMEOUT
    stream: bool = False
    max_body: int = DEFAULT_MAX_BODY
    ssl: ssl.SSLContext | bool | None = None
    server_name: str | None = None        # SNI and the name the certificate must match


def _string_map(value: Any, name: str) -> dict[str, str]:
    if value is None or value == []:
        return {}
    if not isinstance(value, dict):
        raise invalid(f"options.{name} must be a table of strings")
    out = {}
    for k, v in value.items():
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            raise invalid(f"options.{name}.{k} must be a string")
        out[str(k)] = str(v)
    return out


def _timeout(value: Any) -> float:
    if value is None:
        return DEFAULT_TIMEOUT
    if isinstance(value, bool):
        raise invalid("options.timeout must be seconds or a duration string like \"30s\"")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = parse_nanoseconds(value) / 1e9
        except ValueError as exc:
            raise invalid(f"options.timeout: {exc}") from None
    else:
        raise invalid("options.timeout must be seconds or a duration string like \"30s\"")
    return seconds if seconds > 0 else DEFAULT_TIMEOUT


def _tls(value: Any) -> ssl.SSLContext | None:
    if value is None or value == []:
        return None
    if not isinstance(value, dict):
        raise invalid("options.tls must be a table")
    if value.get("insecure_skip_verify"):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    elif value.get("ca"):
        try:
            ctx = ssl.create_default_context(cadata=value["ca"])
        except (ssl.SSLError, ValueError) as exc:
            raise invalid(f"options.tls.ca: not a PEM certificate ({exc})") from None
    else:
        ctx = ssl.create_default_context()
    if bool(value.get("cert")) != bool(value.get("key")):
        raise invalid("options.tls: cert and key must be given together")
    if value.get("cert"):
        raise invalid("options.tls.cert/key (client certificates) are not supported yet")
    return ctx


def _body(method: str, opts: dict) -> tuple[Any, dict[str, str]]:
    form, files = opts.get("form"), opts.get("files")
    if files:
        if not isinstance(files, list):
            raise invalid("options.files must be an array of file tables")
        data = aiohttp.FormData()
        for k, v in _string_map(form, "form").items():
            data.add_field(k, v)
        for i, f in enumerate(files, 1):
            if not isinstance(f, dict) or not isinstance(f.get("name"), str):
                raise invalid(f"options.files[{i}].name is required")
            if not isinstance(f.get("content"), str):
                raise invalid(f"options.files[{i}].content must be a string")
            # As documented: every part is sent as application/octet-stream.
            data.add_field(f["name"], to_bytes(f["content"], f.get("content_mapped")),
                           filename=f.get("filename") or f["name"],
                           content_type="application/octet-stream")
        return data, {}
    if form:
        return urlencode(_string_map(form, "form")), {
            "Content-Type": "application/x-www-form-urlencoded"}
    if opts.get("body") is not None:
        return to_bytes(opts["body"], opts.get("body_mapped"), "options.body"), {}
    return None, {}


def build(method: Any, url: Any, opts: Any) -> Request:
    if not isinstance(method, str) or not method or not method.isascii() or not method.isalpha():
        raise invalid("method must be a non-empty string of letters")
    if not isinstance(url, str) or not url:
        raise invalid("url must be a non-empty string")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise invalid(f"invalid URL {url!r}: must be absolute http:// or https://")
    opts = opts if isinstance(opts, dict) else ({} if opts in (None, []) else None)
    if opts is None:
        raise invalid("options must be a table")
    unknown = sorted(set(opts) - KNOWN - {"content_mapped"})
    if unknown:
        raise invalid(f"unknown option {unknown[0]!r}")
    for unsupported in ("unix_socket", "overlay_network"):
        if opts.get(unsupported):
            raise invalid(f"options.{unsupported} is not supported by this runtime")
    query = _string_map(opts.get("query"), "query")
    if query:
        url += ("&" if parts.query else ("" if url.endswith("?") else "?")) + urlencode(query)
    headers = _string_map(opts.get("headers"), "headers")
    data, extra = _body(method, opts)
    for k, v in extra.items():
        if not any(h.lower() == k.lower() for h in headers):
            headers[k] = v
    cookies = _string_map(opts.get("cookies"), "cookies")
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    auth = opts.get("auth")
    if auth:
        if not isinstance(auth, dict) or not isinstance(auth.get("user"), str):
            raise invalid("options.auth must be {user = \"name\", pass = \"secret\"}")
        pair = f"{auth['user']}:{auth.get('pass') or ''}".encode("utf-8")
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode("ascii")
    max_body = opts.get("max_response_body") or 0
    if isinstance(max_body, bool) or not isinstance(max_body, (int, float)) or max_body < 0:
        raise invalid("options.max_response_body must be a non-negative number of bytes")
    return Request(method.upper(), url, headers, data, _timeout(opts.get("timeout")),
                   bool(opts.get("stream")), int(max_body) or DEFAULT_MAX_BODY,
                   _tls(opts.get("tls")), _server_name(opts.get("tls")))


def _server_name(tls: Any) -> str | None:
    name = tls.get("server_name") if isinstance(tls, dict) else None
    if name is not None and not isinstance(name, str):
        raise invalid("options.tls.server_name must be a string")
    return name or None
