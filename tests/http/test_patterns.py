"""Path patterns: parsing, matching and Go ServeMux conflict rules."""
import pytest

from wippy.http.assembly import rewrite_colon_params
from wippy.http.patterns import PatternError, conflicts, parse_pattern


def match(pattern: str, path: str):
    return parse_pattern(pattern).match(path[1:].split("/"))


@pytest.mark.parametrize("pattern,path,params", [
    ("/tasks", "/tasks", {}),
    ("/tasks/{id}", "/tasks/42", {"id": "42"}),
    ("/a/{x}/b/{y}", "/a/1/b/2", {"x": "1", "y": "2"}),
    ("/files/{rest...}", "/files/a/b/c", {"rest": "a/b/c"}),
    ("/files/{rest...}", "/files/", {"rest": ""}),
    ("/static/", "/static/", {}),
    ("/static/", "/static/css/x.css", {}),
    ("/", "/", {}),
    ("/", "/anything/at/all", {}),
    ("/a/{$}", "/a/", {}),
])
def test_matches(pattern, path, params):
    assert match(pattern, path) == params


@pytest.mark.parametrize("pattern,path", [
    ("/tasks", "/tasks/"),           # exact: a trailing slash is another path
    ("/tasks/", "/tasks"),
    ("/tasks/{id}", "/tasks/"),      # {id} never matches an empty segment
    ("/tasks/{id}", "/tasks/1/2"),
    ("/files/{rest...}", "/files"),
    ("/a/{$}", "/a/b"),
    ("/tasks", "/other"),
])
def test_does_not_match(pattern, path):
    assert match(pattern, path) is None


def test_colon_params_are_rewritten():
    assert rewrite_colon_params("/users/:id/posts/:post") == "/users/{id}/posts/{post}"
    assert match(rewrite_colon_params("/users/:id"), "/users/7") == {"id": "7"}


@pytest.mark.parametrize("bad,reason", [
    ("tasks", "must start with /"),
    ("/a/{x...}/b", "must be the last segment"),
    ("/a/{x}/{x}", "duplicate wildcard"),
    ("/a/x{y}", "whole segment"),
    ("/a/{bad-name}", "bad wildcard name"),
    ("/a//b", "empty segment"),
    ("/a/{$}/b", "only allowed at the end"),
])
def test_bad_patterns(bad, reason):
    with pytest.raises(PatternError, match=reason):
        parse_pattern(bad)


@pytest.mark.parametrize("a,b,conflict", [
    ("/tasks", "/tasks", True),
    ("/tasks/{id}", "/tasks/{name}", True),          # equivalent
    ("/tasks/{id}", "/tasks/new", False),            # the literal is more specific
    ("/a/{x}/c", "/a/b/{y}", True),                  # overlap, neither wins
    ("/files/{p...}", "/files/", True),              # both are "everything below /files/"
    ("/files/{p...}", "/files/a/{x}", False),
    ("/tasks", "/tasks/", False),
    ("/", "/tasks", False),
    ("/a/{x}", "/a/{$}", False),                     # {x} never matches the trailing slash
])
def test_conflicts(a, b, conflict):
    pa, pb = parse_pattern(a), parse_pattern(b)
    assert conflicts(pa, pb) is conflict
    assert conflicts(pb, pa) is conflict
