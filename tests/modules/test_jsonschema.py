"""json.validate / json.validate_string and the validator behind them."""
from __future__ import annotations

import pytest

from tests.modules.lua import values
from wippy.lua.modules.json.schema import SchemaError, Validator, compile_schema

USER = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "email": {"type": "string", "format": "email"},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        "role": {"enum": ["admin", "user"]},
    },
    "required": ["name", "email"],
    "additionalProperties": False,
}


def errors(schema, value, lua_data=False):
    return Validator(schema).errors(value, lua_data=lua_data)


def test_valid_and_invalid_documents():
    assert errors(USER, {"name": "Al", "email": "al@example.com", "age": 30, "tags": ["a"]}) == []
    found = errors(USER, {"name": "", "email": "nope", "age": 1.5, "tags": ["a", "a"],
                          "role": "root", "extra": 1})
    assert set(found) == {
        "/name: length 0 is less than minLength 1", "/email: is not a valid email",
        "/age: expected integer", "/tags: items are not unique",
        "/role: value is not one of the allowed values", "/extra: additional property is not allowed"}
    assert errors(USER, {}) == ["/: missing required property 'name'", "/: missing required property 'email'"]


@pytest.mark.parametrize("schema, good, bad", [
    ({"type": ["string", "null"]}, None, 1),
    ({"const": 1}, 1.0, True),
    ({"exclusiveMinimum": 0, "multipleOf": 0.1}, 0.3, 0),
    ({"pattern": "^a+$", "maxLength": 3}, "aaa", "aaaa"),
    ({"format": "date-time"}, "2024-01-02T03:04:05Z", "2024-01-02"),
    ({"format": "uuid"}, "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "x"),
    ({"prefixItems": [{"type": "integer"}], "items": False}, [1], [1, 2]),
    ({"contains": {"const": 2}, "minItems": 2}, [1, 2], [1, 3]),
    ({"anyOf": [{"type": "string"}, {"minimum": 5}]}, 7, 3),
    ({"oneOf": [{"minimum": 0}, {"maximum": 10}]}, 20, 5),
    ({"not": {"type": "string"}}, 1, "s"),
    ({"if": {"minimum": 10}, "then": {"multipleOf": 10}, "else": {"maximum": 5}}, 20, 7),
    ({"$defs": {"pos": {"minimum": 0}}, "properties": {"n": {"$ref": "#/$defs/pos"}}}, {"n": 1}, {"n": -1}),
    ({"patternProperties": {"^x_": {"type": "integer"}}, "additionalProperties": {"type": "string"}},
     {"x_a": 1, "b": "s"}, {"x_a": "1"}),
    ({"propertyNames": {"maxLength": 2}, "maxProperties": 2}, {"ab": 1}, {"abc": 1}),
    ({"dependentRequired": {"card": ["cvv"]}}, {"card": 1, "cvv": 2}, {"card": 1}),
    (True, 1, None), (False, None, 1),
])
def test_keywords(schema, good, bad):
    if good is not None or schema is True:
        assert errors(schema, good) == []
    if bad is not None or schema is False:
        assert errors(schema, bad) != []


def test_lua_empty_table_is_array_and_object():
    assert errors({"type": "object"}, [], lua_data=True) == []
    assert errors({"type": "object"}, [], lua_data=False) == ["/: expected object"]


@pytest.mark.parametrize("schema, message", [
    ({"type": "strnig"}, "unknown type"), ({"minimum": "1"}, "must be a number"),
    ({"uniqueKeys": True}, "unsupported JSON Schema keyword 'uniqueKeys'"),
    ({"$ref": "http://x/y"}, "only local references"), ({"$ref": "#/nope"}, "does not resolve"),
    ({"pattern": "("}, "invalid pattern"), (5, "must be an object or a boolean"),
])
def test_schema_errors(schema, message):
    with pytest.raises(SchemaError, match=message):
        Validator(schema)


def test_annotations_and_vendor_keys_are_ignored_and_schemas_cached():
    schema = {"title": "T", "description": "d", "x-internal": 1, "default": 0, "type": "integer"}
    assert Validator(schema).errors(3) == []
    assert compile_schema(schema) is compile_schema(dict(schema))


def test_validate_from_lua():
    got = values("""
        local schema = {type = "object", properties = {name = {type = "string", minLength = 1},
                        age = {type = "integer", minimum = 0}}, required = {"name"}}
        local ok1, e1 = json.validate(schema, {name = "Alice", age = 30})
        local ok2, e2 = json.validate(schema, {name = "", age = -1})
        local ok3 = json.validate('{"type": "number", "minimum": 0}', 42)
        local ok4, e4 = json.validate_string(schema, '{"name": "Jane", "age": 25}')
        local ok5, e5 = json.validate_string(schema, '{"age": 1.5}')
        local ok6 = json.validate({type = "object"}, {})
        return ok1, e1, ok2, e2:kind(), e2:message(), #e2:details().errors, ok3, ok4, e4,
               ok5, e5:message(), ok6
    """, modules=["json"])
    assert got[:4] == [True, None, False, "Invalid"]
    assert got[4].startswith("validation failed: /") and got[4].endswith("(+1 more)")
    assert got[5:10] == [2, True, True, None, False]
    assert got[10].startswith("validation failed: ") and got[11] is True


@pytest.mark.parametrize("call, message", [
    ("json.validate(nil, 1)", "schema is required"),
    ("json.validate({type = 'string'})", "data is required"),
    ("json.validate(5, 1)", "schema error: schema must be a string or table"),
    ("json.validate('{bad', 1)", "schema error: invalid JSON"),
    ("json.validate({type = 'text'}, 1)", "compile schema: #/type: unknown type 'text'"),
    ("json.validate_string({}, 5)", "data must be a JSON string"),
    ("json.validate_string({}, '{')", "validation failed: invalid JSON"),
])
def test_validate_errors_from_lua(call, message):
    got = values(f"local ok, err = {call} return ok, err:kind(), err:message()", modules=["json"])
    assert got[:2] == [False, "Invalid"] and got[2].startswith(message), got
