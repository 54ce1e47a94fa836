"""HTTP serving for http.service / http.router / http.endpoint entries.

    server.py     HttpServer: the uvicorn-backed service (start/stop)
    assembly.py   routers and endpoints registered per server; app assembly
    routes.py     route table: conflicts at registration, lookup per request
    patterns.py   Go ServeMux path patterns ({id}, {rest...}, trailing /)
    app.py        the ASGI app: lookup, 404, 405
    endpoint.py   one request → one Lua call (body limit, errors with request id)
    state.py      HttpCall: the per-request state behind the `http` Lua module
    responses.py  runtime-made responses (404/405/204/JSON errors), content sniffing
    middleware.py router middleware by name; cors.py the `cors` middleware
    protocol.py   one HTTP/1.1 connection (httptools) under uvicorn's server: keep-alive,
                  pipelining, back-pressure, idle and header deadlines
    exchange.py   one request/response on a connection: ASGI receive/send, the wire bytes
"""
from .assembly import EndpointDef, RouterDef, RoutingError
from .server import HttpServer, ServerOptions, parse_addr
from .state import HttpCall

__all__ = ["HttpServer", "ServerOptions", "parse_addr", "RouterDef", "EndpointDef",
           "RoutingError", "HttpCall"]
