"""Route table: registration conflicts, lookup order, HEAD/OPTIONS/Allow."""
import pytest

from wippy.http.assembly import Routing, RoutingError
from wippy.http.patterns import parse_pattern
from wippy.http.routes import RouteSpec, compile_routes


def table(*routes):
    specs = [RouteSpec(m, parse_pattern(p), f"t:{m}{p}", handler=f"{m} {p}") for m, p in routes]
    return compile_routes(specs, lambda node, spec: f"auto-options {node.pattern.path}")


def test_static_dynamic_and_precedence():
    t = table(("GET", "/tasks"), ("GET", "/tasks/{id}"), ("GET", "/tasks/new"),
              ("POST", "/tasks/{id}"))
    assert t.resolve("GET", "/tasks") == ("GET /tasks", {})
    assert t.resolve("GET", "/tasks/new") == ("GET /tasks/new", {})
    assert t.resolve("GET", "/tasks/7") == ("GET /tasks/{id}", {"id": "7"})
    # The literal /tasks/new has no POST: the less specific wildcard route answers.
    assert t.resolve("POST", "/tasks/new") == ("POST /tasks/{id}", {"id": "new"})


def test_head_uses_get_and_options_is_automatic():
    t = table(("GET", "/tasks"), ("POST", "/tasks"))
    assert t.resolve("HEAD", "/tasks") == ("GET /tasks", {})
    assert t.resolve("OPTIONS", "/tasks") == ("auto-options /tasks", {})


def test_not_allowed_lists_methods_and_not_found():
    t = table(("GET", "/tasks"), ("POST", "/tasks"), ("DELETE", "/tasks/{id}"))
    assert t.resolve("DELETE", "/tasks") == (None, "GET, HEAD, OPTIONS, POST")
    assert t.resolve("GET", "/tasks/1") == (None, "DELETE, OPTIONS")
    assert t.resolve("GET", "/tasks/") == (None, None)
    assert t.resolve("GET", "/nope") == (None, None)


def test_explicit_options_and_head_win():
    t = table(("GET", "/x"), ("HEAD", "/x"), ("OPTIONS", "/x"))
    assert t.resolve("HEAD", "/x") == ("HEAD /x", {})
    assert t.resolve("OPTIONS", "/x") == ("OPTIONS /x", {})


def routing():
    r = Routing("app:gw")
    return r, r.add_router("app:router", "", [], {}, [], {})


def test_duplicate_prefix_is_an_error():
    r, _ = routing()
    with pytest.raises(RoutingError, match=r'router prefix already exists: "" is also the prefix '
                                           r'of app:router on app:gw'):
        r.add_router("app:other", "/", [], {}, [], {})  # "/" trims to "" too
    r.add_router("app:api", "/api/", [], {}, [], {})
    with pytest.raises(RoutingError, match="/api is also the prefix of app:api"):
        r.add_router("app:api2", "/api", [], {}, [], {})


def test_route_conflicts_are_errors():
    r, router = routing()
    router.add_endpoint("app:a", "GET", "/tasks/{id}", "app:f")
    router.add_endpoint("app:b", "POST", "/tasks/{id}", "app:f")   # other method: fine
    router.add_endpoint("app:c", "GET", "/tasks/new", "app:f")     # more specific: fine
    router.add_endpoint("app:d", "HEAD", "/tasks/new", "app:f")    # HEAD beats GET: fine
    with pytest.raises(RoutingError, match="conflicts"):
        # Go's rule: HEAD is more specific by method, GET /tasks/new by path: neither wins.
        router.add_endpoint("app:d2", "HEAD", "/tasks/{x}", "app:f")
    with pytest.raises(RoutingError, match=r"route pattern conflicts detected: GET /tasks/\{name\} "
                                           r"and GET /tasks/\{id\} \(app:a\)"):
        router.add_endpoint("app:e", "GET", "/tasks/{name}", "app:f")
    api = r.add_router("app:api", "/api", [], {}, [], {})
    router.add_endpoint("app:f", "GET", "/api/x", "app:f")
    with pytest.raises(RoutingError, match="conflicts"):
        api.add_endpoint("app:g", "GET", "/x", "app:f")             # same full path via prefix


def test_prefix_is_joined_and_colon_params_rewritten():
    r, _ = routing()
    api = r.add_router("app:api", "/api/v1/", [], {}, [], {})
    ep = api.add_endpoint("app:u", "GET", "/users/:id", "app:f")
    assert ep.route == "GET /api/v1/users/{id}"
